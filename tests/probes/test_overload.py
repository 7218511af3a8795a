"""An overloaded probe says so (INCONCLUSIVE, counted) instead of reporting targets DOWN.

The target is a real HTTP server on 127.0.0.1 in its own thread and event loop (so it
stays healthy); the probe's own event loop is saturated by a task that burns CPU in
slices, as a probe process past its capacity would be.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.core import clock
from api.targets.models import CheckResult, StateTransition, Target, TargetStatus
from api.targets.probe_contract import build_spec
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target
from tests.probes.servers import HTTPServer
from workers.jobs.checks import run_checks
from workers.jobs.ingest import Ingester
from workers.probes import load as probe_load
from workers.probes.load import probe_metrics_key

REGION = "eu-west"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "probe_max_loop_lag_ms": 200.0,
        "probe_start_budget_seconds": 2.0,
        "probe_max_concurrency": 4,
        "probe_load_log_seconds": 0.5,
    }


class ThreadedServer:
    """HTTPServer in a thread with its own loop: healthy whatever our loop does."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = HTTPServer()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> HTTPServer:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def target_server() -> Iterator[HTTPServer]:
    with ThreadedServer() as server:
        yield server


async def burn_cpu(stop: asyncio.Event, slice_seconds: float = 0.4) -> None:
    """Saturate the loop: hold it `slice_seconds` at a time, yielding between slices."""
    while not stop.is_set():
        end = time.perf_counter() + slice_seconds
        while time.perf_counter() < end:
            pass
        await asyncio.sleep(0)


def batch(target: Target, n: int, first_due_ms: int) -> list[dict[str, Any]]:
    spec = build_spec(target)
    return [{"spec": spec, "due": first_due_ms + i} for i in range(n)]


async def ingest_all(resources: Any) -> None:
    ingester = Ingester(resources, consumer="core")
    await ingester.ensure_group()
    while await ingester.step():
        pass


async def test_a_saturated_probe_reports_no_down_for_a_healthy_target(
    settings, resources, target_server, capsys
):
    account = await create_account(settings)
    target = await create_target(
        account.workspace, url=target_server.base + "/", regions=[REGION], timeout=1.0
    )
    ctx: dict[str, Any] = {"resources": resources}
    before = probe_load.counters()

    # Healthy probe first: the target is UP.
    now_ms = int(clock.now().timestamp() * 1000)
    await run_checks(ctx, region=REGION, checks=batch(target, 3, now_ms))
    await ingest_all(resources)
    await target.refresh_from_db()
    assert target.status == TargetStatus.UP

    # Saturated probe: a CPU-burning task holds the loop 400 ms at a time, so a check
    # with a 1 s timeout cannot finish in time; 20 checks due now, 4 at most in flight.
    stop = asyncio.Event()
    burner = asyncio.create_task(burn_cpu(stop))
    try:
        now_ms = int(clock.now().timestamp() * 1000)
        await run_checks(ctx, region=REGION, checks=batch(target, 20, now_ms))
    finally:
        stop.set()
        await burner
    await ingest_all(resources)

    rows = await CheckResult.filter(target_id=target.id)
    statuses = [str(r.status) for r in rows]
    assert len(rows) == 23
    assert statuses.count("DOWN") == 0
    inconclusive = [r for r in rows if str(r.status) == "INCONCLUSIVE"]
    assert len(inconclusive) >= 10, statuses  # most of the overloaded batch, not all UP
    assert all(r.error and r.error.startswith(("SKIPPED:", "INCONCLUSIVE:")) for r in inconclusive)
    await target.refresh_from_db()
    assert target.status == TargetStatus.UP
    assert await StateTransition.filter(target_id=target.id).count() == 1  # PENDING -> UP

    # Counted: in the Redis metrics hash of the region and in the process counters.
    metrics = await resources.redis.hgetall(probe_metrics_key(REGION))
    counted = {k.decode(): int(v) for k, v in metrics.items()}
    assert counted["skipped"] + counted["forgiven"] == len(inconclusive)
    # Both ways: checks that started and then ran out of time in the stalled loop
    # (forgiven), and checks not started at all (skipped).
    assert counted["forgiven"] >= 1 and counted["skipped"] >= 1, counted
    after = probe_load.counters()
    assert (after["skipped"] - before["skipped"]) + (after["forgiven"] - before["forgiven"]) == len(
        inconclusive
    )

    # Logged once per interval with the probe's load (the sampler logs every 0.5 s here);
    # the lag it measures covers the last second.
    await asyncio.sleep(1.2)
    captured = capsys.readouterr()
    logs = (captured.out + captured.err).splitlines()
    logged = [line for line in logs if "probe_overloaded" in line]
    assert logged and "max_concurrency" in logged[0] and "skipped" in logged[0], logs

    # Load gone: the same probe process judges again.
    now_ms = int(clock.now().timestamp() * 1000)
    await run_checks(ctx, region=REGION, checks=batch(target, 3, now_ms + 100_000))
    await ingest_all(resources)
    ids = [f"{target.id}:{REGION}:{now_ms + 100_000 + i}" for i in range(3)]
    fresh = await CheckResult.filter(check_id__in=ids)
    assert [str(r.status) for r in fresh] == ["UP"] * 3, [r.error for r in fresh]
    await ctx["probe_load"].stop()


async def test_checks_beyond_the_concurrency_limit_wait_then_are_skipped_not_down(
    settings, resources, target_server
):
    account = await create_account(settings)
    # Each check takes 1.5 s at the target; limit 4 in flight, start budget 2 s.
    target = await create_target(
        account.workspace,
        url=target_server.base + "/delay?s=1.5",
        regions=[REGION],
        timeout=5.0,
    )
    ctx: dict[str, Any] = {"resources": resources}
    now_ms = int(clock.now().timestamp() * 1000)
    await run_checks(ctx, region=REGION, checks=batch(target, 12, now_ms))
    await ingest_all(resources)
    rows = await CheckResult.filter(target_id=target.id).order_by("check_id")
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[str(r.status)] = by_status.get(str(r.status), 0) + 1
    # 4 start at once, 4 more start when they finish (1.5 s < 2 s budget): both waves UP;
    # the third wave would start 3 s late: skipped, with the load in its error.
    assert by_status == {"UP": 8, "INCONCLUSIVE": 4}
    skipped = [r for r in rows if str(r.status) == "INCONCLUSIVE"]
    assert all("checks in flight (limit 4)" in (r.error or "") for r in skipped)
    assert ctx["probe_load"].peak_in_flight <= 4
    await target.refresh_from_db()
    assert target.status == TargetStatus.UP
    await ctx["probe_load"].stop()


async def test_inconclusive_results_neither_count_as_failures_nor_reset_them(settings, resources):
    from datetime import timedelta

    from api.results.rollups import rollup_hour
    from api.results.stats import target_stats
    from api.targets.models import ResultRollup, TargetRegionState
    from api.targets.state import ingest_results
    from tests.factories.results import probe_result

    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[REGION], alert_policy={"retries": 2})
    start = clock.now()
    seq = ["UP", "DOWN", "INCONCLUSIVE", "INCONCLUSIVE"]
    for i, status in enumerate(seq):
        error = "SKIPPED: not started, probe event loop lags 900 ms" if i > 1 else None
        at = start + timedelta(milliseconds=i)
        await ingest_results(
            resources, [probe_result(target, REGION, status, due_ms=1000 + i, error=error, at=at)]
        )
    state = await TargetRegionState.get(target_id=target.id, region=REGION)
    # One real failure of the two `retries` asks for: still UP, and the skipped checks
    # did not wipe the failure count either.
    assert state.consecutive_failures == 1 and str(state.status) == "UP"
    await target.refresh_from_db()
    assert target.status == TargetStatus.UP

    # Uptime over the window: 1 failure of 2 real checks (the INCONCLUSIVE are no checks).
    stats = await target_stats(target.id, start - timedelta(minutes=1))
    assert (stats.overall.checks, stats.overall.failures) == (2, 1)
    # ... and in the hourly rollup of those results.
    await rollup_hour(target.id, start)
    rollup = await ResultRollup.get(target_id=target.id, span="h")
    assert (rollup.checks, rollup.failures) == (2, 1)

    await ingest_results(
        resources,
        [probe_result(target, REGION, "DOWN", due_ms=2000, at=start + timedelta(seconds=1))],
    )
    await target.refresh_from_db()
    assert target.status == TargetStatus.DOWN  # the second real failure in a row


async def test_a_real_timeout_on_a_healthy_probe_is_still_down(settings, resources, target_server):
    # The target never answers and the probe is not overloaded: the timeout is the
    # target's, so the result is DOWN (the loop's small wake-up jitter over the 5 s is
    # not mistaken for a stall).
    account = await create_account(settings)
    target = await create_target(
        account.workspace, url=target_server.base + "/slow", regions=[REGION], timeout=5.0
    )
    ctx: dict[str, Any] = {"resources": resources}
    now_ms = int(clock.now().timestamp() * 1000)
    await run_checks(ctx, region=REGION, checks=batch(target, 1, now_ms))
    await ingest_all(resources)
    row = await CheckResult.get(target_id=target.id)
    assert str(row.status) == "DOWN" and (row.error or "").startswith("TIMEOUT"), row.error
    await ctx["probe_load"].stop()


async def test_a_first_batch_of_only_inconclusive_results_is_stored_and_moves_nothing(
    settings, resources
):
    # A new target whose first checks all came back INCONCLUSIVE (an overloaded probe):
    # the batch is stored, the target stays PENDING, and the ingest goes on.
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=["eu-west"])
    batch = [
        probe_result(
            target, "eu-west", due_ms=1000 + i, status="INCONCLUSIVE", error="SKIPPED: late"
        )
        for i in range(3)
    ]
    report = await ingest_results(resources, batch)
    assert report.stored == 3
    await target.refresh_from_db()
    assert target.status == TargetStatus.PENDING and target.state_checked_at is None
