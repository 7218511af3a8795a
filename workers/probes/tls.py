"""TLS certificate probe: handshake (verified) and days left before expiry."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from datetime import UTC
from typing import Any

from cryptography import x509

from api.core import clock
from workers.probes.base import DEGRADED, DOWN, CheckFailed, Outcome, ProbeContext, ms


async def check_tls(config: dict[str, Any], timeout: float, pctx: ProbeContext) -> Outcome:
    host = str(config["host"])
    port = int(config.get("port") or 443)
    server_name = str(config.get("serverName") or host)
    degraded_days = int(config.get("degradedWithinDays", 14))
    down_days = int(config.get("downWithinDays", 0))
    t0 = time.perf_counter()
    try:
        ip = await pctx.guard.vet(host, port)
    except LookupError as exc:
        raise CheckFailed("DNS_ERROR", str(exc)) from None
    dns = ms(t0)
    t1 = time.perf_counter()
    try:
        _, writer = await asyncio.open_connection(pctx.guard.dial_address(ip), port)
    except OSError as exc:
        raise CheckFailed("CONNECT_ERROR", exc.strerror or str(exc)) from None
    connect = ms(t1)
    t2 = time.perf_counter()
    try:
        await writer.start_tls(pctx.ssl_context(True), server_hostname=server_name)
    except ssl.SSLCertVerificationError as exc:
        writer.close()
        raise CheckFailed("TLS_ERROR", exc.verify_message or str(exc)) from None
    except (ssl.SSLError, OSError) as exc:
        writer.close()
        raise CheckFailed("TLS_ERROR", str(exc)) from None
    tls = ms(t2)
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    if not der:
        raise CheckFailed("TLS_ERROR", "no certificate presented")
    expires = x509.load_der_x509_certificate(der).not_valid_after_utc.astimezone(UTC)
    outcome = Outcome(
        response_time_ms=ms(t0),
        timings={"dns_ms": dns, "connect_ms": connect, "tls_ms": tls},
        certificate_expires_at=expires,
    )
    left = expires - clock.now()
    days_left = left.total_seconds() / 86400
    if days_left <= down_days:
        outcome.status = DOWN
        outcome.error = (
            f"CERT_EXPIRING: certificate expires {expires.isoformat()} ({days_left:.1f} days)"
        )
    elif days_left <= degraded_days:
        outcome.status = DEGRADED
        outcome.error = (
            f"CERT_EXPIRING: certificate expires {expires.isoformat()} ({days_left:.1f} days)"
        )
    return outcome
