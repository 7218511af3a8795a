"""What every probe shares: the per-process context and the outcome of a check.

A probe is a pure async function `(config, timeout, pctx) -> Outcome` with no database;
`workers.probes.runner.run_check` turns it into a result dict.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.core.crypto import KeyRing
from api.core.netguard import Guard, default_guard

UP, DEGRADED, DOWN = "UP", "DEGRADED", "DOWN"


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
