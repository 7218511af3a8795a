"""The rollup cron job: registered, idempotent, remembers where it stopped."""

from __future__ import annotations

from datetime import timedelta

from api.core import clock
from api.results.rollups import WATERMARK_KEY, floor_hour
from api.targets.models import CheckResult, ResultRollup
from tests.factories.targets import create_target
from workers.jobs.rollups import rollup_results
from workers.registry import CORE_CRON_JOBS


def test_rollup_cron_is_registered_and_unique() -> None:
    jobs = [job for job in CORE_CRON_JOBS if job.coroutine is rollup_results]
    assert len(jobs) == 1
    assert jobs[0].unique


async def test_rollup_job_rolls_complete_hours(resources) -> None:
    from api.workspaces.models import Workspace

    workspace = await Workspace.create(name="w")
    target = await create_target(workspace.id)
    hour = floor_hour(clock.now()) - timedelta(hours=3)
    await CheckResult.bulk_create(
        [
            CheckResult(
                check_id=f"c{i}",
                target_id=target.id,
                region="eu-west",
                checked_at=hour + timedelta(minutes=i),
                status="UP" if i % 10 else "DOWN",
                response_time_ms=50.0 + i,
            )
            for i in range(180)  # three complete hours
        ]
    )
    ctx = {"resources": resources}
    assert await rollup_results(ctx) == 3
    rows = await ResultRollup.filter(span="h").order_by("hour")
    assert [r.checks for r in rows] == [60, 60, 60]
    assert [r.failures for r in rows] == [6, 6, 6]
    assert sum(sum(r.histogram.values()) for r in rows) == 180
    assert float(await resources.redis.get(WATERMARK_KEY)) == floor_hour(clock.now()).timestamp()
    # The next run only re-rolls the lookback: nothing doubles.
    await rollup_results(ctx)
    assert [r.checks for r in await ResultRollup.filter(span="h").order_by("hour")] == [60, 60, 60]


async def test_a_complete_month_is_rolled_into_a_month_row(db) -> None:
    from datetime import UTC, datetime

    from api.results.rollups import rollup_pending
    from api.workspaces.models import Workspace

    workspace = await Workspace.create(name="w")
    target = await create_target(workspace.id)
    start = datetime(2026, 10, 31, 22, tzinfo=UTC)
    await CheckResult.bulk_create(
        [
            CheckResult(
                check_id=f"c{i}",
                target_id=target.id,
                region="eu-west",
                checked_at=start + timedelta(minutes=i),
                status="DOWN" if i == 3 else "UP",
                response_time_ms=None if i == 3 else 80.0,
            )
            for i in range(150)  # to 2026-11-01 00:29
        ]
    )
    # The last day of October is complete: its daily row, then October's month row.
    assert await rollup_pending(now=datetime(2026, 11, 1, 1, 5, tzinfo=UTC)) == 3
    month = await ResultRollup.get(span="m", target_id=target.id)
    assert month.hour == datetime(2026, 10, 1, tzinfo=UTC)
    assert (month.checks, month.failures) == (120, 1)
    assert month.day_mask == 1 << 30  # only the 31st has checks
    assert sum(month.histogram.values()) == 119
    assert not await ResultRollup.filter(span="m", hour=datetime(2026, 11, 1, tzinfo=UTC))


async def test_months_rolled_up_before_month_rows_existed_are_backfilled(resources) -> None:
    from api.results.rollups import floor_month, previous_month
    from api.workspaces.models import Workspace

    workspace = await Workspace.create(name="w")
    target = await create_target(workspace.id)
    # Daily rows of the last three complete months, as an older release left them.
    months = [previous_month(floor_month(clock.now()))]
    months += [previous_month(months[-1]), previous_month(previous_month(months[-1]))]
    await ResultRollup.bulk_create(
        [
            ResultRollup(
                target_id=target.id,
                region="eu-west",
                span="d",
                hour=m + timedelta(days=1),
                checks=1440,
                failures=2,
                sum_ms=1.0,
                timed_checks=1440,
                histogram={"40": 1440},
            )
            for m in months
        ]
    )
    ctx = {"resources": resources}
    await rollup_results(ctx)  # two months per run, newest first
    assert {r.hour for r in await ResultRollup.filter(span="m")} == set(months[:2])
    await rollup_results(ctx)
    rows = await ResultRollup.filter(span="m").order_by("-hour")
    assert [(r.hour, r.day_mask, r.failures) for r in rows] == [(m, 0b10, 2) for m in months]
