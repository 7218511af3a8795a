"""Strict JSON decoding for request bodies and websocket messages.

Python's json accepts NaN, Infinity and numbers that overflow to inf, none of which is
JSON: stored, they would later be served back as invalid JSON. A body nested thousands
deep would raise RecursionError (a 500). A NUL character in a string cannot be stored in
PostgreSQL text (a database error, so a 500). All are refused as a JSONDecodeError (a
ValueError), which the endpoint answers with a 400 and a websocket with 4400.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_NESTING = 64


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _nesting(data: str) -> int:
    """The deepest [ / { nesting outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in data:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def strict_json(data: str | bytes) -> object:
    text = data.decode() if isinstance(data, bytes) else data  # UnicodeDecodeError: a ValueError
    if text.count("[") + text.count("{") > MAX_NESTING and _nesting(text) > MAX_NESTING:
        raise json.JSONDecodeError(f"JSON nested deeper than {MAX_NESTING} levels", text, 0)
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from exc
    if "\\u0000" in text and (where := _nul_at(value)) is not None:
        # PostgreSQL cannot store NUL in text; no field of ours has a use for it.
        raise StrictJSONError(f"{where or 'a key'} holds a NUL character (\\u0000)", text)
    return value


class StrictJSONError(json.JSONDecodeError):
    """Valid JSON we refuse anyway; its message is meant for the client."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message, text, 0)
        self.reason = message


def _nul_at(value: object) -> str | None:
    """The path of the first string holding NUL (e.g. variables.input.name), else None."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return path
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None
