"""The TCP probe against a real local server: an open port is UP, a closed one DOWN."""

from __future__ import annotations

from tests.probes.conftest import check


async def test_tcp_open_port_is_up_and_closed_port_is_down(pctx, http_server):
    up = await check(pctx, "TCP", {"host": "127.0.0.1", "port": http_server.port})
    assert up["status"] == "UP" and up["connect_ms"] is not None
    port = http_server.port
    await http_server.stop()
    down = await check(pctx, "TCP", {"host": "127.0.0.1", "port": port})
    assert down["status"] == "DOWN" and down["error"].startswith("CONNECT_ERROR")
