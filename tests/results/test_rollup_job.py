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
