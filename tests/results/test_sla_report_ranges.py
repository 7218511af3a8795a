"""Report ranges: calendar months across DST, and hours cut by a half-hour zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from api.core.errors import Invalid
from api.results.report_range import Period, resolve
from api.results.report_request import ReportRequest, run
from api.targets.models import ResultRollup
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.results.test_sla_report_queries import principal_of

NOW = datetime(2026, 4, 15, 12, tzinfo=UTC)


def test_a_calendar_month_follows_the_zone_across_dst() -> None:
    march = resolve(
        timezone="Europe/Paris", period=Period.LAST_MONTH, first_day=None, last_day=None, now=NOW
    )
    assert (march.first_day, march.last_day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert march.since == datetime(2026, 2, 28, 23, tzinfo=UTC)  # UTC+1
    assert march.until == datetime(2026, 3, 31, 22, tzinfo=UTC)  # UTC+2 after the 29th
    assert march.until - march.since == timedelta(hours=743)
    october = resolve(
        timezone="Europe/Paris",
        period=None,
        first_day=date(2026, 10, 1),
        last_day=date(2026, 10, 31),
        now=datetime(2026, 11, 2, tzinfo=UTC),
    )
    assert october.until - october.since == timedelta(hours=745)


def test_bad_ranges_name_their_field() -> None:
    for kwargs, field in (
        ({"timezone": "Europe/Nowhere"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"first_day": date(2026, 4, 10), "last_day": date(2026, 4, 1)}, "to"),
        ({"first_day": date(2025, 1, 1), "last_day": date(2026, 4, 1)}, "to"),
        ({"first_day": date(2026, 5, 1), "last_day": date(2026, 5, 2)}, "from"),
        ({"first_day": date(2026, 4, 1)}, "from"),
    ):
        args = {"timezone": "UTC", "period": None, "first_day": None, "last_day": None, **kwargs}
        with pytest.raises(Invalid) as caught:
            resolve(now=NOW, **args)  # type: ignore[arg-type]
        assert caught.value.field == field, kwargs


async def test_an_hour_cut_by_the_range_counts_its_minutes_inside(settings, db) -> None:
    # Asia/Kolkata is UTC+5:30: 2026-11-10 local ends at 18:30 UTC, inside the 18:00 hour.
    account = await create_account(settings)
    start = datetime(2026, 11, 9, 18, tzinfo=UTC)
    target = await create_target(
        account.workspace, regions=["eu-west"], created_at=start - timedelta(days=1)
    )
    rows = [
        ResultRollup(
            target_id=target.id,
            region="eu-west",
            span="h",
            hour=start + timedelta(hours=h),
            checks=60,
            failures=30 if h in (0, 24) else 0,
            sum_ms=6000.0,
            timed_checks=60,
            histogram={"48": 60},
        )
        for h in range(26)
    ]
    await ResultRollup.bulk_create(rows)
    report = await run(
        await principal_of(account),
        ReportRequest(
            workspace_id=account.workspace.id,
            target_ids=[target.id],
            group_id=None,
            timezone="Asia/Kolkata",
            first_day=date(2026, 11, 10),
            last_day=date(2026, 11, 10),
        ),
        settings.regions,
    )
    # Half of each edge hour failed; 30 minutes of each are inside the day: 15 + 15.
    assert report.range.since == datetime(2026, 11, 9, 18, 30, tzinfo=UTC)
    assert report.overall.monitored_minutes == 24 * 60
    assert report.overall.downtime_minutes == 30
