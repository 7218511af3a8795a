"""A target created mid-hour is monitored from its creation, not from the hour's start:
the hour's failure share applies to the minutes it existed (and the current hour up to
now), before and after the rollup job rolls the hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.core import clock
from api.results.report_request import ReportRequest, run
from api.results.rollups import HOUR, floor_hour
from api.targets.models import CheckResult, ResultRollup, Target
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.results.test_sla_report_queries import principal_of
from workers.jobs.rollups import rollup_results

REGIONS = ["eu-west", "us-east"]


async def test_a_target_created_mid_hour_counts_from_its_creation(settings, resources) -> None:
    account = await create_account(settings)
    now = clock.now()
    previous = floor_hour(now) - HOUR  # complete, not rolled up yet
    created = previous + timedelta(minutes=40)
    target = await create_target(account.workspace, regions=REGIONS)
    await Target.filter(id=target.id).update(created_at=created)
    # One check a minute from creation to now; down 5 minutes (:45 to :49) everywhere.
    times, t = [], created
    while t < now - timedelta(seconds=30):
        times.append(t)
        t += timedelta(minutes=1)
    outage = (previous + timedelta(minutes=45), previous + timedelta(minutes=50))
    await CheckResult.bulk_create(
        [
            CheckResult(
                check_id=f"{region}-{n}",
                target_id=target.id,
                region=region,
                checked_at=at,
                status="DOWN" if outage[0] <= at < outage[1] else "UP",
                response_time_ms=None if outage[0] <= at < outage[1] else 100.0,
            )
            for region in REGIONS
            for n, at in enumerate(times)
        ]
    )
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
        # By hand: 20 minutes of the previous hour (from :40), then the current hour's
        # minutes up to the report's end if it has a check yet.
        current = floor_hour(now)
        later = (data_until - current).total_seconds() if times[-1] >= current else 0.0
        return round((20 * 60 + later) / 60, 2)

    report = await run(principal, request, settings.regions)
    figures = report.targets[0].overall
    assert figures.monitored_minutes == expected_monitored(report.data_until)
    # 5 failing checks of the 20 after creation: 25 % of 20 minutes, not of 60.
    assert figures.downtime_minutes == 5
    assert report.by_region["eu-west"].downtime_minutes == 5
    assert report.by_region["eu-west"].monitored_minutes == figures.monitored_minutes

    # Once the job has rolled the previous hour: the same figures.
    assert await rollup_results({"resources": resources}) >= 1
    assert await ResultRollup.filter(span="h", target_id=target.id, hour=previous).exists()
    again = await run(principal, request, settings.regions)
    assert again.targets[0].overall.monitored_minutes == expected_monitored(again.data_until)
    assert again.targets[0].overall.downtime_minutes == 5


async def test_the_day_of_creation_counts_from_the_creation_once_rolled_into_a_day(
    settings, db
) -> None:
    # Rolled into hourly and daily rows: the daily row must not count the day whole.
    account = await create_account(settings)
    day = floor_hour(clock.now()).replace(hour=0) - timedelta(days=1)
    created = day + timedelta(hours=15, minutes=40)
    target = await create_target(account.workspace, regions=["eu-west"])
    await Target.filter(id=target.id).update(created_at=created)

    def row(span: str, hour: datetime, checks: int, failures: int) -> ResultRollup:
        return ResultRollup(
            target_id=target.id,
            region="eu-west",
            span=span,
            hour=hour,
            checks=checks,
            failures=failures,
            sum_ms=100.0 * (checks - failures),
            timed_checks=checks - failures,
            histogram={"48": checks - failures},
        )

    rows = [row("h", day + timedelta(hours=15), 20, 5)]  # 5 of 20 checks failed
    rows += [row("h", day + timedelta(hours=h), 60, 0) for h in range(16, 24)]
    rows.append(row("d", day, 20 + 8 * 60, 5))
    await ResultRollup.bulk_create(rows)
    report = await run(
        await principal_of(account),
        ReportRequest(
            workspace_id=account.workspace.id,
            target_ids=[target.id],
            group_id=None,
            first_day=day.date(),
            last_day=day.date(),
        ),
        settings.regions,
    )
    # By hand: 20 minutes of the 15:00 hour and 8 whole hours; 25 % of the 20 minutes.
    assert report.overall.monitored_minutes == 20 + 8 * 60
    assert report.overall.downtime_minutes == 5
