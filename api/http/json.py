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
    if "\\u0000" in text and _has_nul(value):
        # PostgreSQL cannot store NUL in text; no field of ours has a use for it.
        raise json.JSONDecodeError("NUL character (\\u0000) in a string", text, 0)
    return value


def _has_nul(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
