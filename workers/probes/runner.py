"""The runner: one wire check (api.targets.probe_contract) in, one result dict out.

`run_check` wraps a probe: deterministic check id, start time, the overall timeout,
the SSRF refusal as a DOWN result, the DEGRADED rules.

Result dict (JSON-able, keys named as the CheckResult model attributes):
check_id, target_id, region, checked_at (ISO), due_at (ISO), status, response_time_ms,
dns_ms, connect_ms, tls_ms, first_byte_ms, transfer_ms, http_status, error,
certificate_expires_at (ISO or None).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from api.core import clock
from api.core.errors import UnsafeTarget
from api.targets.probe_contract import open_spec_config
from workers.probes.base import DEGRADED, DOWN, UP, CheckFailed, Outcome, ProbeContext, ms
from workers.probes.dns import check_dns
from workers.probes.http import check_http
from workers.probes.icmp import check_icmp
from workers.probes.load import INCONCLUSIVE
from workers.probes.tcp import check_tcp
from workers.probes.tls import check_tls

# The probe of each target kind (HEARTBEAT targets are not probed: they ping us).
PROBES: dict[str, Callable[[dict[str, Any], float, ProbeContext], Awaitable[Outcome]]] = {
    "HTTP": check_http,
    "TCP": check_tcp,
    "DNS": check_dns,
    "TLS": check_tls,
    "ICMP": check_icmp,
}
TIMING_KEYS = ("dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "transfer_ms")
RESULT_KEYS = (
    "check_id",
    "target_id",
    "region",
    "checked_at",
    "due_at",
    "status",
    "response_time_ms",
    *TIMING_KEYS,
    "http_status",
    "error",
    "certificate_expires_at",
)


def check_id(target_id: int, region: str, due_ms: int) -> str:
    return f"{target_id}:{region}:{due_ms}"


async def run_check(check: dict[str, Any], region: str, pctx: ProbeContext) -> dict[str, Any]:
    """Run one check of a wire spec (`{"spec": ..., "due": due_ms}`); never raises."""
    spec = check["spec"]
    due_ms = int(check["due"])
    started = clock.now()
    t0 = time.perf_counter()
    timeout = float(spec.get("timeout") or 10.0)
    config = spec.get("config") or {}
    try:
        probe = PROBES[spec["kind"]]
        config = open_spec_config(spec, pctx.keyring)
        async with asyncio.timeout(timeout):
            outcome: Outcome = await probe(config, timeout, pctx)
    except TimeoutError:
        outcome = Outcome(DOWN, error=f"TIMEOUT: no complete answer within {timeout:g} s")
    except UnsafeTarget as exc:
        outcome = Outcome(DOWN, error=f"UNSAFE_TARGET: {exc.message}")
    except CheckFailed as exc:
        outcome = Outcome(DOWN, error=str(exc), **exc.fields)
    except Exception as exc:  # a probe bug must become a DOWN result, not a lost check
        outcome = Outcome(DOWN, error=f"PROBE_ERROR: {type(exc).__name__}: {exc}"[:500])
    if outcome.response_time_ms is None and outcome.status != DOWN:
        outcome.response_time_ms = ms(t0)
    apply_degraded_rules(outcome, config, spec)
    due_at = datetime.fromtimestamp(due_ms / 1000, UTC)
    return {
        "check_id": check_id(spec["targetId"], region, due_ms),
        "target_id": spec["targetId"],
        "region": region,
        "checked_at": started.isoformat(),
        "due_at": due_at.isoformat(),
        "status": outcome.status,
        "response_time_ms": outcome.response_time_ms,
        **{key: outcome.timings.get(key) for key in TIMING_KEYS},
        "http_status": outcome.http_status,
        "error": outcome.error,
        "certificate_expires_at": outcome.certificate_expires_at.isoformat()
        if outcome.certificate_expires_at
        else None,
    }


def skipped_result(check: dict[str, Any], region: str, reason: str) -> dict[str, Any]:
    """The INCONCLUSIVE result of a check the probe did not start (workers/probes/load.py)."""
    spec = check["spec"]
    due_ms = int(check["due"])
    result: dict[str, Any] = dict.fromkeys(RESULT_KEYS)
    result.update(
        check_id=check_id(spec["targetId"], region, due_ms),
        target_id=spec["targetId"],
        region=region,
        checked_at=clock.now().isoformat(),
        due_at=datetime.fromtimestamp(due_ms / 1000, UTC).isoformat(),
        status=INCONCLUSIVE,
        error=f"SKIPPED: not started, {reason}",
    )
    return result


def apply_degraded_rules(outcome: Outcome, config: dict[str, Any], spec: dict[str, Any]) -> None:
    """UP becomes DEGRADED when slow (degradedAboveMs) or the certificate expires soon."""
    if outcome.status != UP:
        return
    slow = config.get("degradedAboveMs")
    if slow and outcome.response_time_ms is not None and outcome.response_time_ms > float(slow):
        outcome.status = DEGRADED
        outcome.error = f"SLOW: {outcome.response_time_ms:.0f} ms > {float(slow):g} ms"
        return
    days = spec.get("certDegradedDays")
    expires = outcome.certificate_expires_at
    if days is not None and expires is not None and spec.get("kind") == "HTTP":
        if expires - clock.now() <= timedelta(days=int(days)):
            outcome.status = DEGRADED
            outcome.error = f"CERT_EXPIRING: certificate expires {expires.date().isoformat()}"
