"""TCP, DNS, TLS-certificate and ICMP probes against real local servers."""

from __future__ import annotations

import asyncio

import pytest

from tests.probes.conftest import check, server_context
from tests.probes.servers import DNSServer, HTTPServer
from workers.probes import icmp


async def test_tcp_open_port_is_up_and_closed_port_is_down(pctx, http_server):
    up = await check(pctx, "TCP", {"host": "127.0.0.1", "port": http_server.port})
    assert up["status"] == "UP" and up["connect_ms"] is not None
    port = http_server.port
    await http_server.stop()
    down = await check(pctx, "TCP", {"host": "127.0.0.1", "port": port})
    assert down["status"] == "DOWN" and down["error"].startswith("CONNECT_ERROR")


async def test_dns_answers_compared_with_expected_values():
    server = await DNSServer(
        {
            ("www.example.test", "A"): ["192.0.2.10", "192.0.2.11"],
            ("www.example.test", "TXT"): ['"v=ok"'],
        }
    ).start()
    try:
        from api.core.netguard import Guard
        from workers.probes.base import ProbeContext

        pctx = ProbeContext(guard=Guard(True))
        ns = f"127.0.0.1:{server.port}"
        up = await check(
            pctx, "DNS", {"name": "www.example.test", "expected": ["192.0.2.11"], "nameserver": ns}
        )
        assert up["status"] == "UP", up
        assert up["dns_ms"] is not None
        txt = await check(
            pctx,
            "DNS",
            {
                "name": "www.example.test",
                "recordType": "TXT",
                "expected": ["v=ok"],
                "nameserver": ns,
            },
        )
        assert txt["status"] == "UP", txt
        mismatch = await check(
            pctx, "DNS", {"name": "www.example.test", "expected": ["192.0.2.99"], "nameserver": ns}
        )
        assert mismatch["status"] == "DOWN"
        assert mismatch["error"].startswith("DNS_MISMATCH")
        assert "192.0.2.10" in mismatch["error"]
        missing = await check(pctx, "DNS", {"name": "nope.example.test", "nameserver": ns})
        assert missing["status"] == "DOWN" and missing["error"].startswith("DNS_NXDOMAIN")
        assert server.queries >= 4
    finally:
        server.stop()


async def test_dns_nameserver_that_does_not_answer_times_out(pctx):
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )  # listens, never answers
    port = transport.get_extra_info("sockname")[1]
    try:
        result = await check(
            pctx, "DNS", {"name": "a.test", "nameserver": f"127.0.0.1:{port}"}, timeout=0.5
        )
        assert result["status"] == "DOWN" and result["error"].startswith("TIMEOUT")
    finally:
        transport.close()


@pytest.mark.parametrize(
    ("days", "status"),
    [(90, "UP"), (10, "DEGRADED"), (0.5, "DOWN")],
)
async def test_tls_certificate_days_to_expiry_thresholds(pctx, ca, days, status):
    server = await HTTPServer(server_context(ca, days=days)).start()
    try:
        result = await check(
            pctx,
            "TLS",
            {
                "host": "127.0.0.1",
                "port": server.port,
                "degradedWithinDays": 14,
                "downWithinDays": 1,
            },
        )
        assert result["status"] == status, result
        assert result["certificate_expires_at"] is not None
        assert result["tls_ms"] is not None
    finally:
        await server.stop()


async def test_tls_handshake_with_an_untrusted_certificate_is_down(ca, keyring):
    import trustme

    from api.core.netguard import Guard
    from workers.probes.base import ProbeContext

    server = await HTTPServer(server_context(trustme.CA())).start()  # a CA nobody trusts
    try:
        pctx = ProbeContext(guard=Guard(True), keyring=keyring)
        result = await check(pctx, "TLS", {"host": "localhost", "port": server.port})
        assert result["status"] == "DOWN"
        assert result["error"].startswith("TLS_ERROR")
    finally:
        await server.stop()


async def test_icmp_ping_of_loopback(pctx):
    try:
        await icmp.ping("127.0.0.1", 1, 1.0)
    except Exception as exc:  # icmplib.SocketPermissionError and kin
        pytest.skip(f"ICMP sockets are not permitted here: {exc}")
    result = await check(pctx, "ICMP", {"host": "127.0.0.1", "packets": 2})
    assert result["status"] == "UP", result
    assert result["response_time_ms"] is not None
