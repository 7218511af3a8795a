"""The TLS-certificate probe against a local HTTPS server: days to expiry make it UP,
DEGRADED or DOWN; an untrusted certificate is DOWN."""

from __future__ import annotations

import pytest

from tests.probes.conftest import check, server_context
from tests.probes.servers import HTTPServer


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
