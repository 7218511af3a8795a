"""An SLA report runs the same number of SQL statements for 2 targets as for 20."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from api.maintenance.models import MaintenanceWindow
from api.results.report_request import ReportRequest, run
from api.results.rollups import floor_day
from api.targets.models import ResultRollup
from api.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.targets import create_target

REGIONS = ["eu-west", "us-east", "ap-south"]


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage()[:120])


@pytest.fixture
def sql_log() -> Iterator[Counter]:
    # Tortoise logs every statement it sends to this logger (the library's own hook).
    logger = logging.getLogger("tortoise.db_client")
    counter, level = Counter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


async def seed(workspace: Workspace, count: int, start: datetime, days: int) -> list[int]:
    ids, rows = [], []
    for n in range(count):
        target = await create_target(
            workspace, name=f"t{n}", regions=REGIONS, created_at=start - timedelta(days=1)
        )
        ids.append(target.id)
        await MaintenanceWindow.create(
            workspace=workspace,
            target=target,
            name="m",
            starts_at=start + timedelta(days=3, hours=2),
            ends_at=start + timedelta(days=3, hours=3),
        )
        for d in range(days):
            day = start + timedelta(days=d)
            failing = d % 5 == n % 5  # every target fails on some days
            for region in REGIONS:
                rows.append(
                    ResultRollup(
                        target_id=target.id,
                        region=region,
                        span="d",
                        hour=day,
                        checks=1440,
                        failures=6 if failing else 0,
                        sum_ms=1440 * 90.0,
                        timed_checks=1440,
                        histogram={"47": 1400, "50": 40},
                    )
                )
                for h in range(24):
                    rows.append(
                        ResultRollup(
                            target_id=target.id,
                            region=region,
                            span="h",
                            hour=day + timedelta(hours=h),
                            checks=60,
                            failures=6 if failing and h == 5 else 0,
                            sum_ms=60 * 90.0,
                            timed_checks=60,
                            histogram={"47": 58, "50": 2},
                        )
                    )
    await ResultRollup.bulk_create(rows, batch_size=2000)
    return ids


@pytest.mark.parametrize("count", [2, 20])
async def test_statement_count_does_not_grow_with_targets(
    settings, resources, sql_log, count
) -> None:
    account = await create_account(settings)
    start = floor_day(datetime(2026, 11, 1, tzinfo=UTC))
    ids = await seed(account.workspace, count, start, days=10)
    principal = await principal_of(account)
    sql_log.statements.clear()
    report = await run(
        principal,
        ReportRequest(
            workspace_id=account.workspace.id,
            target_ids=ids,
            group_id=None,
            first_day=date(2026, 11, 1),
            last_day=date(2026, 11, 10),
        ),
        settings.regions,
    )
    assert len(report.targets) == count
    # Each target: 10 days, 5 failing minutes... 6 failures of 60 checks in one hour
    # on 2 of its days, in all three regions: 2 x 6 minutes.
    assert all(t.overall.downtime_minutes == 12 for t in report.targets)
    assert len(sql_log.statements) == EXPECTED_STATEMENTS, sql_log.statements


EXPECTED_STATEMENTS = 10  # scope, targets, windows, 6 rollup reads, incidents


async def principal_of(account):
    from api.auth.principal import ALL_SCOPES, Principal
    from api.workspaces.models import Role

    return Principal(
        kind="session",
        user_id=account.user.id,
        scopes=frozenset(ALL_SCOPES),
        memberships={account.workspace.id: Role.OWNER},
    )
