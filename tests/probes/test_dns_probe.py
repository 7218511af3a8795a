"""The DNS probe against a local resolver: answers compared with the expected values,
missing names, and a nameserver that never answers."""

from __future__ import annotations

import asyncio

from tests.probes.conftest import check
from tests.probes.servers import DNSServer


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
