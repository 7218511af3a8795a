"""Syntax checks of config values: hostnames (IDNA), URLs, JSON paths, status ranges.

Plain functions raising ValueError with a message that names the bad value.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

MAX_URL = 2048

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_STATUS_RANGE = re.compile(r"^([1-5])xx$")
_STATUS_SPAN = re.compile(r"^([1-5]\d\d)-([1-5]\d\d)$")
# $.a.b[0]["c d"].e : a dotted/bracket subset of JSONPath (what the HTTP probe reads).
_JSON_PATH_STEP = re.compile(
    r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|\[(?P<index>\d+)\]|\[(?P<q>['"])(?P<key>(?:(?!(?P=q)).)+)(?P=q)\]"""
)


def check_host(value: str, *, allow_underscore: bool = False) -> str:
    """A DNS hostname (IDNA accepted, returned as ASCII) or an IP address literal."""
    host = value.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host or len(host) > 253:
        raise ValueError("must be a hostname or an IP address")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{value!r} is not a valid hostname") from None
    for label in ascii_host.split("."):
        if not _LABEL.match(label) or ("_" in label and not allow_underscore):
            raise ValueError(f"{value!r} is not a valid hostname")
    if ascii_host.split(".")[-1].isdigit():
        raise ValueError(f"{value!r} is not a valid hostname or IP address")
    return ascii_host


def check_url(value: str) -> str:
    if len(value) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters")
    if any(c in value for c in "\r\n\t ") or not value.isprintable():
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials: use basicAuth")
    if not parts.hostname:
        raise ValueError("must have a host")
    check_host(parts.hostname)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("port must be between 1 and 65535") from None
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("port must be between 1 and 65535")
    return value


def check_json_path(value: str) -> str:
    """Accept `$`, then `.name`, `[index]` or `['key']` steps; nothing else."""
    if not value.startswith("$"):
        raise ValueError("must start with $ (e.g. $.data.items[0].status)")
    pos = 1
    while pos < len(value):
        match = _JSON_PATH_STEP.match(value, pos)
        if match is None:
            raise ValueError(f"invalid JSON path at position {pos}: {value[pos : pos + 20]!r}")
        pos = match.end()
    if len(value) > 512:
        raise ValueError("must be at most 512 characters")
    return value


def json_path_steps(value: str) -> list[str | int]:
    """The steps of a validated JSON path (for the probe): names and indexes."""
    steps: list[str | int] = []
    for match in _JSON_PATH_STEP.finditer(value, 1):
        if match.group("name") is not None:
            steps.append(match.group("name"))
        elif match.group("index") is not None:
            steps.append(int(match.group("index")))
        else:
            steps.append(match.group("key"))
    return steps


def check_status_item(item: int | str) -> int | str:
    if isinstance(item, bool):
        raise ValueError("must be a status code or a range like 2xx")
    if isinstance(item, int):
        if not 100 <= item <= 599:
            raise ValueError(f"{item} is not an HTTP status code (100..599)")
        return item
    text = item.strip().lower()
    if _STATUS_RANGE.match(text):
        return text
    span = _STATUS_SPAN.match(text)
    if span and int(span.group(1)) <= int(span.group(2)):
        return text
    if text.isdigit():
        return check_status_item(int(text))
    raise ValueError(f"{item!r} is not a status code or a range like 2xx or 200-299")
