"""The ICMP probe pings loopback (skipped where ICMP sockets are not permitted)."""

from __future__ import annotations

import pytest

from tests.probes.conftest import check
from workers.probes import icmp


async def test_icmp_ping_of_loopback(pctx):
    try:
        await icmp.ping("127.0.0.1", 1, 1.0)
    except Exception as exc:  # icmplib.SocketPermissionError and kin
        pytest.skip(f"ICMP sockets are not permitted here: {exc}")
    result = await check(pctx, "ICMP", {"host": "127.0.0.1", "packets": 2})
    assert result["status"] == "UP", result
    assert result["response_time_ms"] is not None
