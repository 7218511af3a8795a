"""ICMP probe (icmplib): unprivileged datagram sockets when the kernel allows them,
raw sockets otherwise (root / CAP_NET_RAW)."""

from __future__ import annotations

import time
from typing import Any

import icmplib

from workers.probes.base import DOWN, CheckFailed, Outcome, ProbeContext, ms

_privileged: bool | None = None  # learned once per process


async def ping(ip: str, count: int, timeout: float) -> Any:
    global _privileged
    interval = 0.2
    per_reply = max(0.2, min(2.0, timeout - interval * count))
    if _privileged is None:
        try:
            result = await icmplib.async_ping(
                ip, count=count, interval=interval, timeout=per_reply, privileged=False
            )
            _privileged = False
            return result
        except icmplib.SocketPermissionError:
            _privileged = True
    return await icmplib.async_ping(
        ip, count=count, interval=interval, timeout=per_reply, privileged=_privileged
    )


async def check_icmp(config: dict[str, Any], timeout: float, pctx: ProbeContext) -> Outcome:
    host = str(config["host"])
    packets = max(1, min(int(config.get("packets") or 3), 20))
    max_loss = float(config.get("maxLossPercent") or 0)
    t0 = time.perf_counter()
    try:
        ip = await pctx.guard.vet(host, 0)
    except LookupError as exc:
        raise CheckFailed("DNS_ERROR", str(exc)) from None
    dns = ms(t0)
    try:
        host_result = await ping(pctx.guard.dial_address(ip), packets, timeout)
    except icmplib.SocketPermissionError as exc:
        raise CheckFailed("ICMP_NOT_PERMITTED", str(exc)) from None
    except icmplib.ICMPLibError as exc:
        raise CheckFailed("ICMP_ERROR", str(exc)) from None
    loss = host_result.packet_loss * 100
    outcome = Outcome(
        response_time_ms=round(host_result.avg_rtt, 3) if host_result.packets_received else None,
        timings={"dns_ms": dns},
    )
    if not host_result.packets_received or loss > max_loss:
        outcome.status = DOWN
        outcome.error = f"PACKET_LOSS: {loss:.0f} % lost ({packets} sent), max {max_loss:g} %"
    return outcome
