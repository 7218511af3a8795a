"""UTC months a report covers (wholly, or mostly: the month less its days outside) are
read from monthly rollups, with the same figures as from the daily rows they summarise."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from api.maintenance.models import MaintenanceWindow
from api.results import report_data
from api.results.report_request import ReportRequest, run
from api.results.rollups import rollup_month
from api.targets.models import ResultRollup
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.results import test_sla_report_queries as queries
from tests.results.test_sla_report_queries import principal_of

REGIONS = ["eu-west", "us-east", "ap-south"]
sql_log = queries.sql_log  # the fixture counting SQL statements
START = datetime(2026, 9, 1, tzinfo=UTC)  # rows to 2026-11-09
DAYS = 70
# The report: 2026-09-03 .. 2026-11-09 (UTC): September mostly, October wholly,
# November partly (not rolled into a month: read from daily rows).


def rows_of(target_id: int, n: int) -> list[ResultRollup]:
    rows = []
    for d in range(DAYS):
        day = START + timedelta(days=d)
        for region in REGIONS:
            if n == 1 and day < datetime(2026, 10, 12, tzinfo=UTC):
                continue  # created mid-October: no rows before
            if region == "ap-south" and day.day in (3, 4):
                continue  # a region not polled for two days (the others were)
            quiet = region == "us-east" and day.day == 7  # a daily row without checks
            failing = d % 9 == n
            hist = {"40": 1000 + d, "47": 400 + n, "55": 40 * (1 + d % 3)}
            rows.append(
                ResultRollup(
                    target_id=target_id,
                    region=region,
                    span="d",
                    hour=day,
                    checks=0 if quiet else 1440,
                    failures=12 if failing and not quiet else 0,
                    sum_ms=1440 * 90.0,
                    timed_checks=0 if quiet else 1440,
                    histogram={} if quiet else hist,
                )
            )
            for h in range(24):
                rows.append(
                    ResultRollup(
                        target_id=target_id,
                        region=region,
                        span="h",
                        hour=day + timedelta(hours=h),
                        checks=0 if quiet else 60,
                        failures=12 if failing and h == 5 and not quiet else 0,
                        sum_ms=60 * 90.0,
                        timed_checks=0 if quiet else 60,
                        histogram={} if quiet else {"40": 60},
                    )
                )
    return rows


def summary(report) -> list:
    return [(t.target_id, t.overall, sorted(t.by_region.items())) for t in report.targets] + [
        report.overall,
        sorted(report.by_region.items()),
    ]


async def test_month_rows_give_the_figures_of_the_daily_rows(settings, db, sql_log) -> None:
    account = await create_account(settings)
    ids, rows = [], []
    for n in range(3):
        target = await create_target(account.workspace, name=f"t{n}", regions=REGIONS)
        ids.append(target.id)
        rows += rows_of(target.id, n)
    # A maintenance window inside October: that day is read by the hour.
    await MaintenanceWindow.create(
        workspace=account.workspace,
        target_id=ids[0],
        name="m",
        starts_at=datetime(2026, 10, 14, 3, tzinfo=UTC),
        ends_at=datetime(2026, 10, 14, 6, tzinfo=UTC),
    )
    await ResultRollup.bulk_create(rows, batch_size=2000)
    principal = await principal_of(account)
    request = ReportRequest(
        workspace_id=account.workspace.id,
        target_ids=ids,
        group_id=None,
        first_day=date(2026, 9, 3),
        last_day=date(2026, 11, 9),
    )
    from_days = await run(principal, request, settings.regions)
    since, until = datetime(2026, 9, 3, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
    days_data = await report_data.load(ids, since, until, {})

    # Roll September and October (the job's function); the late target has no September.
    assert await rollup_month(None, datetime(2026, 9, 1, tzinfo=UTC)) == 2 * 3
    assert await rollup_month(None, datetime(2026, 10, 1, tzinfo=UTC)) == 3 * 3
    sql_log.statements.clear()
    from_months = await run(principal, request, settings.regions)
    assert any("r.day_mask" in s for s in sql_log.statements)  # month rows were read
    assert summary(from_months) == summary(from_days)
    months_data = await report_data.load(ids, since, until, {})
    assert months_data.histograms == days_data.histograms  # merged latencies: exact
    assert (months_data.days, months_data.target_days) == (days_data.days, days_data.target_days)
    # Monitored: whole days with a row with checks; the quiet us-east day and the two
    # ap-south days are out for their region only, the target counts them.
    late = from_months.targets[1]
    assert late.by_region["us-east"].monitored_minutes == (29 - 1) * 1440
    assert late.by_region["ap-south"].monitored_minutes == (29 - 2) * 1440
    assert late.overall.monitored_minutes == 29 * 1440
