"""Admission control of a probe process: never report a target DOWN for our own overload.

A probe measures its own load continuously and refuses to judge a target when it cannot
do so fairly:

- **loop lag**: a sampler task sleeps `SAMPLE_SECONDS` and records how late it wakes up.
  `lag_ms` is the worst lag of the last second; `stall_ms` accumulates every lag since
  the process started, so a check can tell how much of its own time the loop lost.
- **start budget**: a check that would start more than half its interval after its due
  time (at most `probe_start_budget_seconds`) is not started: it would overlap the next
  check of the same target, and dropping stale work is how a late probe catches up.
- **concurrency**: at most `probe_max_concurrency` checks run at once in the process; a
  check beyond it waits for a slot, bounded by its start budget.

A check refused before it starts is *skipped*; a check whose timeout expired while the
probe's loop stalled more than `probe_max_loop_lag_ms` is *forgiven*. Both become an
INCONCLUSIVE result (never DOWN; the state machine ignores it), are counted (module
counters below and the Redis hash `probe_metrics_key(region)`), and are logged once per
`probe_load_log_seconds` with the probe's load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from api.core import clock
from api.core.logging import get_logger

log = get_logger(__name__)

INCONCLUSIVE = "INCONCLUSIVE"
SAMPLE_SECONDS = 0.05
# Wake-up lags below this are scheduling noise (a busy but healthy loop shows 0.2-3 ms per
# sample): they are not counted as stalls, or a long timeout would collect enough noise
# to be forgiven on a healthy probe.
STALL_FLOOR_MS = 20.0
# A timeout is forgiven when the stalls during the check exceed the lag limit and this
# share of the check's timeout (a 30 s timeout that lost 300 ms still had 29.7 s).
FORGIVE_SHARE = 0.1
# Errors of a check that ran out of time: those are the ones a stalled loop can cause.
TIMEOUT_PREFIX = "TIMEOUT"

# Process-wide totals (the metrics endpoint can read them with `counters()`).
_COUNTERS: dict[str, int] = {"checks": 0, "skipped": 0, "forgiven": 0}


def counters() -> dict[str, int]:
    """Checks run, skipped (not started) and forgiven (timeout not counted) so far."""
    return dict(_COUNTERS)


def probe_metrics_key(region: str) -> str:
    """Redis hash of the probes of a region: checks, skipped, forgiven (HINCRBY)."""
    return f"hitflow:metrics:probe:{region}"


@dataclass
class Limits:
    max_concurrency: int = 500
    start_budget_seconds: float = 30.0
    max_loop_lag_ms: float = 250.0
    log_seconds: float = 60.0

    @classmethod
    def of(cls, settings: Any) -> Limits:
        return cls(
            max_concurrency=int(settings.probe_max_concurrency),
            start_budget_seconds=float(settings.probe_start_budget_seconds),
            max_loop_lag_ms=float(settings.probe_max_loop_lag_ms),
            log_seconds=float(settings.probe_load_log_seconds),
        )


@dataclass
class ProbeLoad:
    """One per probe process (per event loop)."""

    region: str
    limits: Limits
    in_flight: int = 0
    peak_in_flight: int = 0
    lag_ms: float = 0.0  # worst wake-up lag over the last second
    stall_ms: float = 0.0  # total lag since start, in stalls of STALL_FLOOR_MS or more
    _window: list[tuple[float, float]] = field(default_factory=list, repr=False)
    _slots: asyncio.Semaphore | None = field(default=None, repr=False)
    _sampler: asyncio.Task[None] | None = field(default=None, repr=False)
    _interval: dict[str, int] = field(
        default_factory=lambda: {"checks": 0, "skipped": 0, "forgiven": 0}, repr=False
    )
    _interval_lag_ms: float = 0.0
    _interval_started: float = field(default_factory=time.monotonic, repr=False)

    # --- the sampler ---------------------------------------------------------------------

    def start(self) -> None:
        if self._sampler is None or self._sampler.done():
            self._slots = asyncio.Semaphore(self.limits.max_concurrency)
            self._sampler = asyncio.create_task(self._sample(), name="probe-loop-lag")

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            try:
                await self._sampler
            except asyncio.CancelledError:
                pass
            self._sampler = None

    async def _sample(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(SAMPLE_SECONDS)
            now = time.monotonic()
            self.observe(now, max(0.0, (now - before - SAMPLE_SECONDS) * 1000))
            if now - self._interval_started >= self.limits.log_seconds:
                self._log_interval(now)

    def observe(self, now: float, lag_ms: float) -> None:
        if lag_ms >= STALL_FLOOR_MS:
            self.stall_ms += lag_ms
        self._window.append((now, lag_ms))
        while self._window and self._window[0][0] < now - 1.0:
            self._window.pop(0)
        self.lag_ms = max(lag for _, lag in self._window)
        self._interval_lag_ms = max(self._interval_lag_ms, lag_ms)

    def _log_interval(self, now: float) -> None:
        counts = self._interval
        if counts["skipped"] or counts["forgiven"]:
            log.warning(
                "probe_overloaded",
                region=self.region,
                seconds=round(now - self._interval_started, 1),
                checks=counts["checks"],
                skipped=counts["skipped"],
                forgiven=counts["forgiven"],
                in_flight=self.in_flight,
                peak_in_flight=self.peak_in_flight,
                max_concurrency=self.limits.max_concurrency,
                max_loop_lag_ms=round(self._interval_lag_ms, 1),
            )
        self._interval = {"checks": 0, "skipped": 0, "forgiven": 0}
        self._interval_lag_ms = 0.0
        self.peak_in_flight = self.in_flight
        self._interval_started = now

    def count(self, kind: str) -> None:
        _COUNTERS[kind] += 1
        self._interval[kind] += 1

    # --- admission -----------------------------------------------------------------------

    def budget(self, interval: float | None) -> float:
        """How late a check of this interval may start (seconds after its due time)."""
        if interval:
            return min(self.limits.start_budget_seconds, interval / 2)
        return self.limits.start_budget_seconds

    def refusal(self, due_ms: int, budget: float) -> str | None:
        """Why a check due at `due_ms` cannot start fairly now (None: it can)."""
        late = clock.now().timestamp() - due_ms / 1000
        if late > budget:
            return f"starts {late:.1f} s after its due time (budget {budget:g} s)"
        if self.lag_ms > self.limits.max_loop_lag_ms:
            return (
                f"probe event loop lags {self.lag_ms:.0f} ms "
                f"(limit {self.limits.max_loop_lag_ms:g} ms)"
            )
        return None

    async def run(
        self,
        due_ms: int,
        check: Callable[[], Awaitable[dict[str, Any]]],
        skipped: Callable[[str], dict[str, Any]],
        interval: float | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Run `check` if it can be judged fairly, else the `skipped(reason)` result."""
        assert self._slots is not None, "ProbeLoad.start() first"
        budget = self.budget(interval)
        reason = self.refusal(due_ms, budget)
        if reason is not None:
            self.count("skipped")
            return skipped(reason)
        if self._slots.locked():  # every slot taken: wait, at most until the budget ends
            wait = due_ms / 1000 + budget - clock.now().timestamp()
            try:
                async with asyncio.timeout(max(0.0, wait)):
                    await self._slots.acquire()
            except TimeoutError:
                self.count("skipped")
                return skipped(
                    f"{self.in_flight} checks in flight (limit {self.limits.max_concurrency})"
                    " until its start budget ran out"
                )
            reason = self.refusal(due_ms, budget)
            if reason is not None:
                self._slots.release()
                self.count("skipped")
                return skipped(reason)
        else:
            await self._slots.acquire()  # free slot: returns at once
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        stall_before = self.stall_ms
        try:
            result = await check()
        finally:
            self.in_flight -= 1
            self._slots.release()
        self.count("checks")
        stalled = self.stall_ms - stall_before
        tolerated = max(self.limits.max_loop_lag_ms, FORGIVE_SHARE * 1000 * (timeout or 0))
        if (
            result["status"] == "DOWN"
            and str(result.get("error") or "").startswith(TIMEOUT_PREFIX)
            and stalled > tolerated
        ):
            self.count("forgiven")
            result["status"] = INCONCLUSIVE
            result["error"] = (
                f"INCONCLUSIVE: {result['error']}, but the probe's event loop stalled "
                f"{stalled:.0f} ms meanwhile (tolerated {tolerated:g} ms)"
            )
            result["response_time_ms"] = None
        return result
