"""Credentials never reach the logs: every hf_ token family, nested values, tracebacks,
and the access log's paths (/exports/<token>, /heartbeat/<token>)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from api.core.logging import configure_logging, get_logger

EXPORT = "hf_exp_Q3xExportSecret0123456789abcdef"
CLIENT_SECRET = "hf_cs_Q3xClientSecret0123456789abcdef"
HEARTBEAT = "hf_hb_Q3xHeartbeatSecret0123456789abcd"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers = list(root.handlers)
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers


def test_every_prefix_nested_values_and_tracebacks_are_redacted(capfd, restore_logging) -> None:
    configure_logging("INFO")
    log = get_logger("test")
    log.info("plain", note=f"secret {CLIENT_SECRET} and {EXPORT}")
    log.info("nested", detail={"url": f"https://x.test/exports/{EXPORT}", "list": [CLIENT_SECRET]})
    log.info("nested_key", detail={"client_secret": "not-prefixed-value-42"})
    try:
        raise ValueError(f"bad client {CLIENT_SECRET}")
    except ValueError:
        log.exception("failed")
    _, err = capfd.readouterr()
    assert "failed" in err and "ValueError" in err
    for secret in (EXPORT, CLIENT_SECRET, "not-prefixed-value-42"):
        assert secret not in err, err


async def test_access_log_masks_token_paths(client, capfd, restore_logging) -> None:
    configure_logging("INFO")
    await client.get(f"/exports/{EXPORT}")
    await client.get(f"/heartbeat/{HEARTBEAT}")
    await client.get("/heartbeat/legacy-token-without-prefix-123/fail")
    _, err = capfd.readouterr()
    assert '"/exports/********"' in err and "/heartbeat/********" in err, err
    for secret in (EXPORT, HEARTBEAT, "legacy-token-without-prefix-123"):
        assert secret not in err
