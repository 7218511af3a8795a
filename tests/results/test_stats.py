"""Target stats from rollups + raw edges agree with a brute-force computation."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest

from api.core import clock
from api.results import buckets
from api.results.rollups import floor_hour, rollup_pending
from api.results.stats import target_stats
from api.targets.models import CheckResult, ResultRollup
from tests.factories.accounts import create_account
from tests.factories.results import create_result
from tests.factories.targets import create_target
from tests.targets.helpers import gid

STATS = """query($id: ID!, $since: DateTime!, $until: DateTime, $region: String) {
  target(id: $id) { stats(since: $since, until: $until, region: $region) {
    uptimePercent checks failures avgMs p50Ms p95Ms p99Ms
    byRegion { region uptimePercent checks failures p50Ms p95Ms p99Ms } } } }"""


def _brute(rows: list[CheckResult], since: datetime, until: datetime, region: str | None = None):
    kept = [
        r
        for r in rows
        if since <= r.checked_at < until
        and not r.in_maintenance
        and (region is None or r.region == region)
    ]
    times = sorted(r.response_time_ms for r in kept if r.response_time_ms is not None)
    failures = sum(1 for r in kept if r.status == "DOWN")

    def pct(q: float) -> float:
        return times[max(0, math.ceil(q * len(times)) - 1)]

    return {
        "checks": len(kept),
        "failures": failures,
        "uptime": 100.0 * (len(kept) - failures) / len(kept),
        "avg": sum(times) / len(times),
        "p": [pct(0.5), pct(0.95), pct(0.99)],
    }


@pytest.fixture
async def dataset(db):
    from api.workspaces.models import Workspace

    workspace = await Workspace.create(name="w")
    target = await create_target(workspace.id)
    rng = random.Random(7)
    end = floor_hour(clock.now()) - timedelta(minutes=20)  # in the past: stats stop at now
    start = end - timedelta(days=3)
    rows = []
    at = start
    i = 0
    while at < end:
        for region in ("eu-west", "us-east"):
            down = rng.random() < 0.06
            rows.append(
                CheckResult(
                    check_id=f"c{i}-{region}",
                    target_id=target.id,
                    region=region,
                    checked_at=at + timedelta(seconds=rng.randint(0, 50)),
                    status="DOWN" if down else ("DEGRADED" if rng.random() < 0.05 else "UP"),
                    response_time_ms=None
                    if down and rng.random() < 0.5
                    else rng.lognormvariate(4.5, 0.6),
                    in_maintenance=rng.random() < 0.02,
                )
            )
        at += timedelta(minutes=7)
        i += 1
    await CheckResult.bulk_create(rows, batch_size=500)
    return target, rows, start, end


def _assert_close(stats, expected) -> None:
    assert stats.checks == expected["checks"]
    assert stats.failures == expected["failures"]
    assert stats.uptime_percent == pytest.approx(expected["uptime"], abs=1e-3)
    assert stats.avg_ms == pytest.approx(expected["avg"], abs=1e-3)
    for got, want in zip(stats.percentiles(), expected["p"], strict=True):
        # Buckets are 10 % wide: a percentile read from the histogram is within that.
        assert got == pytest.approx(want, rel=0.11), (got, want)


async def test_stats_match_brute_force_with_rollups_and_raw_edges(dataset) -> None:
    target, rows, start, end = dataset
    since = start + timedelta(hours=5, minutes=13, seconds=7)  # mid-hour, mid-day
    until = end - timedelta(minutes=3)

    raw_only = await target_stats(target.id, since, until)
    # Roll up everything but the last few hours, as a lagging cron would.
    hours = await rollup_pending(end - timedelta(hours=4))
    assert hours > 60
    assert await ResultRollup.filter(span="d").count() >= 2
    assert await ResultRollup.filter(span="h").count() > 100
    mixed = await target_stats(target.id, since, until)

    expected = _brute(rows, since, until)
    _assert_close(raw_only.overall, expected)
    _assert_close(mixed.overall, expected)
    # The same histogram either way: identical percentiles.
    assert mixed.overall.percentiles() == raw_only.overall.percentiles()
    for region in ("eu-west", "us-east"):
        _assert_close(mixed.by_region[region], _brute(rows, since, until, region))

    filtered = await target_stats(target.id, since, until, region="us-east")
    assert list(filtered.by_region) == ["us-east"]
    _assert_close(filtered.overall, _brute(rows, since, until, "us-east"))


async def test_rollups_are_idempotent_and_follow_late_results(dataset) -> None:
    target, _rows, start, end = dataset
    await rollup_pending(end)
    first = await target_stats(target.id, start, end)
    await rollup_pending(end)  # re-run: nothing doubles
    again = await target_stats(target.id, start, end)
    assert (again.overall.checks, again.overall.failures) == (
        first.overall.checks,
        first.overall.failures,
    )
    # A late result inside the lookback is counted once the cron runs again.
    late_at = floor_hour(end) - timedelta(minutes=30)
    await create_result(target, check_id="late", at=late_at, status="DOWN")
    await rollup_pending(end + timedelta(minutes=5))
    later = await target_stats(target.id, start, end)
    assert later.overall.checks == first.overall.checks + 1
    assert later.overall.failures == first.overall.failures + 1


async def test_empty_window(dataset) -> None:
    target, _, start, _ = dataset
    stats = await target_stats(target.id, start - timedelta(days=30), start - timedelta(days=29))
    assert (stats.overall.checks, stats.overall.uptime_percent, stats.overall.avg_ms) == (
        0,
        100.0,
        None,
    )
    assert stats.overall.percentiles() == [None, None, None]
    assert stats.by_region == {}


def test_percentiles_interpolate_inside_buckets() -> None:
    hist: dict[int, int] = {}
    for ms in range(1, 1001):
        buckets.merge(hist, {buckets.bucket_of(float(ms)): 1})
    p50, p95, p99 = buckets.percentiles(hist, (0.5, 0.95, 0.99))
    assert p50 == pytest.approx(500, rel=0.05)
    assert p95 == pytest.approx(950, rel=0.05)
    assert p99 == pytest.approx(990, rel=0.05)


async def test_stats_through_graphql(gql, settings, dataset) -> None:
    target, rows, start, end = dataset
    from api.targets.models import Target

    owner = await create_account(settings)
    await Target.filter(id=target.id).update(workspace_id=owner.workspace.id)
    await rollup_pending(end)
    variables = {"id": gid(target), "since": start.isoformat(), "until": end.isoformat()}
    result = await gql(STATS, variables, token=owner.token)
    assert "errors" not in result, result
    stats = result["data"]["target"]["stats"]
    expected = _brute(rows, start, end)
    assert stats["checks"] == expected["checks"]
    assert stats["failures"] == expected["failures"]
    assert [r["region"] for r in stats["byRegion"]] == ["eu-west", "us-east"]
    assert sum(r["checks"] for r in stats["byRegion"]) == stats["checks"]
    assert stats["p50Ms"] == pytest.approx(expected["p"][0], rel=0.11)


async def test_stats_for_an_unknown_region_is_an_invalid_argument(gql, settings, dataset) -> None:
    target, _, start, _ = dataset
    from api.targets.models import Target

    owner = await create_account(settings)
    await Target.filter(id=target.id).update(workspace_id=owner.workspace.id)
    variables = {"id": gid(target), "since": start.isoformat(), "region": "mars-north"}
    result = await gql(STATS, variables, token=owner.token)
    error = result["errors"][0]
    assert error["extensions"]["code"] == "INVALID"
    assert "mars-north" in error["message"]
