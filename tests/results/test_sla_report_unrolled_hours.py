"""A report reaches up to now: hours the rollup job has not rolled yet (right after a
target is created, the current hour) are read from raw results, counted the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.core import clock
from api.results.report_request import ReportRequest, run
from api.results.rollups import HOUR, floor_hour
from api.targets.models import CheckResult, ResultRollup
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.results.test_sla_report_queries import principal_of
from workers.jobs.rollups import rollup_results

REGIONS = ["eu-west", "us-east"]


async def test_a_report_right_after_creating_a_target_covers_up_to_now(settings, resources) -> None:
    account = await create_account(settings)
    now = clock.now()
    previous = floor_hour(now) - HOUR  # a complete hour, not rolled up yet
    # Created at the start of that hour (a report counts a target from its creation).
    target = await create_target(account.workspace, regions=REGIONS, created_at=previous)
    times, t = [], previous
    while t < now - timedelta(seconds=30):
        times.append(t)
        t += timedelta(minutes=1)
    rows = []
    for region in REGIONS:
        for n, at in enumerate(times):
            down = previous + timedelta(minutes=10) <= at < previous + timedelta(minutes=20)
            rows.append(
                CheckResult(
                    check_id=f"{region}-{n}",
                    target_id=target.id,
                    region=region,
                    checked_at=at,
                    status="DOWN" if down else "UP",
                    response_time_ms=None if down else 100.0,
                )
            )
    # Not verdicts or planned: left out, as the rollup job leaves them out.
    rows.append(
        CheckResult(
            check_id="x1",
            target_id=target.id,
            region="eu-west",
            checked_at=previous,
            status="INCONCLUSIVE",
            response_time_ms=None,
        )
    )
    rows.append(
        CheckResult(
            check_id="x2",
            target_id=target.id,
            region="eu-west",
            checked_at=previous,
            status="DOWN",
            response_time_ms=None,
            in_maintenance=True,
        )
    )
    await CheckResult.bulk_create(rows)
    principal = await principal_of(account)
    today = now.astimezone(UTC).date()
    request = ReportRequest(
        workspace_id=account.workspace.id,
        target_ids=[target.id],
        group_id=None,
        first_day=today - timedelta(days=1),
        last_day=today,
    )

    def expected_monitored(data_until: datetime) -> float:
        hours = {floor_hour(at) for at in times}
        seconds = sum((min(h + HOUR, data_until) - h).total_seconds() for h in hours)
        return round(seconds / 60, 2)

    report = await run(principal, request, settings.regions)
    assert report.data_until >= now  # up to now, not up to the last rolled hour
    figures = report.targets[0].overall
    assert figures.monitored_minutes == expected_monitored(report.data_until)
    assert figures.downtime_minutes == 10  # 10 failing checks of 60, in both regions
    assert report.by_region["eu-west"].downtime_minutes == 10
    assert figures.p50_ms is not None and 90 <= figures.p50_ms <= 110

    # Once the job has rolled the complete hour: the same figures, nothing counted twice.
    assert await rollup_results({"resources": resources}) >= 1
    assert await ResultRollup.filter(span="h", target_id=target.id).exists()
    again = await run(principal, request, settings.regions)
    assert again.targets[0].overall.monitored_minutes == expected_monitored(again.data_until)
    assert again.targets[0].overall.downtime_minutes == 10
    assert again.targets[0].overall.p50_ms == figures.p50_ms
