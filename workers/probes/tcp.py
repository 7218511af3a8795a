"""TCP probe: can a connection be opened to host:port (SSRF-vetted)?"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from workers.probes.base import CheckFailed, Outcome, ProbeContext, ms


async def check_tcp(config: dict[str, Any], timeout: float, pctx: ProbeContext) -> Outcome:
    host, port = str(config["host"]), int(config["port"])
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
        raise CheckFailed(
            "CONNECT_ERROR", exc.strerror or str(exc), timings={"dns_ms": dns}
        ) from None
    connect = ms(t1)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return Outcome(response_time_ms=ms(t0), timings={"dns_ms": dns, "connect_ms": connect})
