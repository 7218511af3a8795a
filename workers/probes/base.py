"""What every probe shares: the per-process context, the result shape and the runner.

A probe is a pure async function `(config, timeout, pctx) -> Outcome` with no database;
`run_check(check, region, pctx)` wraps it: deterministic check id, start time, the
overall timeout, the SSRF refusal as a DOWN result, the DEGRADED rules.

Result dict (JSON-able, keys named as the CheckResult model attributes):
check_id, target_id, region, checked_at (ISO), due_at (ISO), status, response_time_ms,
dns_ms, connect_ms, tls_ms, first_byte_ms, transfer_ms, http_status, error,
certificate_expires_at (ISO or None).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api.core import clock
from api.core.crypto import KeyRing
from api.core.errors import UnsafeTarget
from api.core.netguard import Guard, default_guard

UP, DEGRADED, DOWN = "UP", "DEGRADED", "DOWN"
TIMING_KEYS = ("dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "transfer_ms")


@dataclass
class ProbeContext:
    """Built once per probe process: SSL contexts are costly (~45 ms), never per check."""

    guard: Guard
    keyring: KeyRing | None = None
    extra_ca_file: str | None = None
    body_limit: int = 1_000_000
    _verify: ssl.SSLContext | None = field(default=None, repr=False)
    _noverify: ssl.SSLContext | None = field(default=None, repr=False)

    def ssl_context(self, verify: bool) -> ssl.SSLContext:
        if verify:
            if self._verify is None:
                ctx = ssl.create_default_context()
                try:
                    import certifi

                    ctx.load_verify_locations(certifi.where())
                except ImportError:  # pragma: no cover - certifi ships with httpx
                    pass
                if self.extra_ca_file:
                    ctx.load_verify_locations(self.extra_ca_file)
                ctx.set_alpn_protocols(["http/1.1"])
                self._verify = ctx
            return self._verify
        if self._noverify is None:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            self._noverify = ctx
        return self._noverify


def probe_context(settings: Any, keyring: KeyRing | None = None) -> ProbeContext:
    return ProbeContext(
        guard=default_guard(settings.probe_allow_private_networks),
        keyring=keyring,
        extra_ca_file=getattr(settings, "probe_extra_ca_file", None),
        body_limit=getattr(settings, "probe_body_limit_bytes", 1_000_000),
    )


class CheckFailed(Exception):
    """A check that ran and failed: code + message become the result's error."""

    def __init__(self, code: str, message: str, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.fields = fields


@dataclass
class Outcome:
    status: str = UP
    response_time_ms: float | None = None
    timings: dict[str, float | None] = field(default_factory=dict)
    http_status: int | None = None
    error: str | None = None
    certificate_expires_at: datetime | None = None


def ms(start: float, end: float | None = None) -> float:
    return round(((end if end is not None else time.perf_counter()) - start) * 1000, 3)


def check_id(target_id: int, region: str, due_ms: int) -> str:
    return f"{target_id}:{region}:{due_ms}"


async def run_check(check: dict[str, Any], region: str, pctx: ProbeContext) -> dict[str, Any]:
    """Run one check of a wire spec (`{"spec": ..., "due": due_ms}`); never raises."""
    from workers.probes import registry_of_kinds

    spec = check["spec"]
    due_ms = int(check["due"])
    started = clock.now()
    t0 = time.perf_counter()
    timeout = float(spec.get("timeout") or 10.0)
    config = spec.get("config") or {}
    try:
        probe = registry_of_kinds()[spec["kind"]]
        if spec.get("secrets") and pctx.keyring is not None:
            config = merge_secrets(config, pctx.keyring.decrypt_json(spec["secrets"]))
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


def merge_secrets(config: dict[str, Any], secrets: dict[str, Any] | None) -> dict[str, Any]:
    """The config with its secret values put back (in the probe's memory only)."""
    if not secrets:
        return config
    merged = dict(config)
    password = secrets.get("basicAuthPassword")
    if password is not None and isinstance(merged.get("basicAuth"), dict):
        merged["basicAuth"] = {**merged["basicAuth"], "password": password}
    secret_headers = secrets.get("secretHeaders") or {}
    if secret_headers:
        merged["headers"] = {**(merged.get("headers") or {}), **secret_headers}
    return merged
