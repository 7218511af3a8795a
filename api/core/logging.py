"""Structured logs (JSON lines) with the request id bound through contextvars.

Values of keys that look like secrets are redacted before any line is written.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|authorization|cookie|api_?key|auth_?token|routing_?key", re.I
)
# Every credential Hitflow issues starts with hf_<kind>_ (hf_sess_, hf_pat_, hf_at_,
# hf_rt_, hf_hb_, hf_mail_, hf_exp_, hf_cs_ ...): match the family, not a list.
_TOKEN_VALUE = re.compile(r"hf_[a-z]{1,12}_[A-Za-z0-9_\-]+")
MASK = "********"
# URL paths whose segment after the prefix is a credential, whatever its shape.
_TOKEN_PATHS = re.compile(r"^(/(?:heartbeat|exports)/)[^/]+")


def mask_path(path: str) -> str:
    """A request path fit for the log: credential segments masked."""
    return _TOKEN_VALUE.sub("hf_" + MASK, _TOKEN_PATHS.sub(r"\g<1>" + MASK, path))


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return _TOKEN_VALUE.sub("hf_" + MASK, value)
    if depth > 8:
        return value
    if isinstance(value, dict):
        return {
            k: MASK if isinstance(k, str) and _SECRET_KEY.search(k) else _scrub(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scrub(v, depth + 1) for v in value]
    if isinstance(value, bytes):
        return _scrub(value.decode("utf-8", "replace"), depth + 1)
    return value


def _redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(event.items()):
        if key != "event" and _SECRET_KEY.search(key):
            event[key] = MASK
        else:
            event[key] = _scrub(value)
    return event


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact,  # last before rendering: also covers the formatted traceback
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    for noisy in ("arq", "uvicorn.access", "tortoise", "aiosqlite", "asyncio", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
