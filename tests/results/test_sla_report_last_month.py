"""A report for last month, with one maintenance window, matches figures worked out by
hand from the raw results: seeded results, the real rollup job, then slaReport."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.core import clock
from api.core.ids import encode
from api.maintenance.models import MaintenanceWindow
from api.targets.models import CheckResult
from tests.factories.accounts import create_account
from tests.factories.incidents import create_incident
from tests.factories.targets import create_target
from workers.jobs.rollups import rollup_results

PARIS = ZoneInfo("Europe/Paris")
REGIONS = ["eu-west", "us-east", "ap-south"]

QUERY = """
query($input: SlaReportInput!) { slaReport(input: $input) {
  from to timezone startsAt endsAt
  overall { monitoredMinutes uptimePercent downtimeMinutes incidents mttrMinutes mtbfMinutes
            p50Ms p95Ms p99Ms errorBudgetMinutes errorBudgetRemainingMinutes
            errorBudgetRemainingPercent }
  byRegion { region figures { monitoredMinutes downtimeMinutes incidents } }
  targets { name overall { downtimeMinutes incidents }
            byRegion { region figures { downtimeMinutes monitoredMinutes } } }
  maintenance { name startsAt endsAt }
} }
"""


def last_month() -> tuple[date, date]:
    today = clock.now().astimezone(PARIS).date()
    first_this = today.replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.fixture
def month() -> tuple[date, date]:
    return last_month()


async def seed(account, month: tuple[date, date]) -> tuple[int, list[CheckResult], int]:
    first, last = month
    # Local month in Paris (UTC+1 in November; the helper works for any month).
    since = datetime.combine(first, datetime.min.time(), tzinfo=PARIS).astimezone(UTC)
    # Created before its first result (the report counts a target from its creation).
    target = await create_target(
        account.workspace, name="Shop", regions=REGIONS, created_at=since - timedelta(days=1)
    )
    until = datetime.combine(
        last + timedelta(days=1), datetime.min.time(), tzinfo=PARIS
    ).astimezone(UTC)
    d10, d15, d20, d25 = (first + timedelta(days=n) for n in (9, 14, 19, 24))
    maintenance = (at(d15, 10), at(d15, 12))
    window = await MaintenanceWindow.create(
        workspace=account.workspace,
        target=target,
        name="Database upgrade",
        starts_at=maintenance[0],
        ends_at=maintenance[1],
    )

    def down(region: str, t: datetime) -> bool:
        return (
            at(d10, 14) <= t < at(d10, 14, 30)  # everywhere: 30 minutes
            or (region == "eu-west" and at(d20, 8) <= t < at(d20, 8, 20))  # one region only
            or (region != "ap-south" and at(d25, 2) <= t < at(d25, 3))  # two regions: quorum
            or maintenance[0] <= t < maintenance[1]  # down during the planned work
            or t < since  # outside the range: must not count
            or t >= until
        )

    rows = []
    t = since - timedelta(hours=3)
    n = 0
    while t < until + timedelta(hours=3):
        for region in REGIONS:
            n += 1
            is_down = down(region, t)
            rows.append(
                CheckResult(
                    check_id=f"c{n}",
                    target_id=target.id,
                    region=region,
                    checked_at=t,
                    status="DOWN" if is_down else "UP",
                    response_time_ms=None if is_down else 80.0 + (n % 50) * 4,
                    in_maintenance=maintenance[0] <= t < maintenance[1],
                )
            )
        t += timedelta(minutes=10)
    await CheckResult.bulk_create(rows, batch_size=2000)
    # Incidents as the state machine opened them; one inside the window, one outside.
    await create_incident(target, started_at=at(d10, 14), resolved_at=at(d10, 14, 30))
    await create_incident(target, started_at=at(d25, 2), resolved_at=at(d25, 3))
    await create_incident(target, started_at=at(d15, 10), resolved_at=at(d15, 12))
    await create_incident(target, started_at=since - timedelta(hours=1), resolved_at=since)
    return target.id, rows, window.id


async def roll_everything(resources) -> None:
    ctx = {"resources": resources}
    for _ in range(10):
        if await rollup_results(ctx) < 300:
            break


async def test_last_month_matches_the_raw_results(resources, gql, settings, month) -> None:
    account = await create_account(settings)
    target_id, rows, _ = await seed(account, month)
    await roll_everything(resources)
    first, last = month
    variables = {
        "input": {
            "workspaceId": account.workspace_gid,
            "scope": {"targetIds": [encode("Target", target_id)]},
            "period": "LAST_MONTH",
            "timezone": "Europe/Paris",
        }
    }
    body = await gql(QUERY, variables, token=account.token)
    assert "errors" not in body, body
    report = body["data"]["slaReport"]
    assert (report["from"], report["to"]) == (first.isoformat(), last.isoformat())

    # By hand: every minute of the month is monitored but the 2 h window.
    days = (last - first).days + 1
    monitored = days * 24 * 60 - 120
    # Down: 30 min everywhere + 60 min in two regions of three (the quorum is two);
    # the one-region 20 minutes count for eu-west only, the window for nobody.
    overall = report["overall"]
    assert overall["monitoredMinutes"] == monitored
    assert overall["downtimeMinutes"] == 90
    assert overall["uptimePercent"] == round(100 * (monitored - 90) / monitored, 4)
    assert overall["incidents"] == 2
    assert overall["mttrMinutes"] == 45
    assert overall["mtbfMinutes"] == round((monitored - 90) / 2, 2)
    budget = monitored * 0.1 / 100
    assert overall["errorBudgetMinutes"] == round(budget, 2)
    assert overall["errorBudgetRemainingMinutes"] == round(budget - 90, 2)
    assert overall["errorBudgetRemainingPercent"] == round(100 * (budget - 90) / budget, 2)
    by_region = {r["region"]: r["figures"] for r in report["byRegion"]}
    assert {k: v["downtimeMinutes"] for k, v in by_region.items()} == {
        "ap-south": 30,
        "eu-west": 110,
        "us-east": 90,
    }
    assert {v["monitoredMinutes"] for v in by_region.values()} == {monitored}
    assert all(v["incidents"] is None for v in by_region.values())
    assert report["maintenance"] == [
        {
            "name": "Database upgrade",
            "startsAt": at(first + timedelta(days=14), 10).isoformat(),
            "endsAt": at(first + timedelta(days=14), 12).isoformat(),
        }
    ]
    # Latency: percentiles of the timed results of the month, within a bucket (10 %).
    since = datetime.combine(first, datetime.min.time(), tzinfo=PARIS)
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    timed = [
        r.response_time_ms
        for r in rows
        if since <= r.checked_at < until and r.response_time_ms is not None
    ]
    for key, q in (("p50Ms", 0.5), ("p95Ms", 0.95), ("p99Ms", 0.99)):
        assert overall[key] == pytest.approx(percentile(timed, q), rel=0.1), key


async def test_maintenance_counts_as_downtime_when_not_excluded(
    resources, gql, settings, month
) -> None:
    account = await create_account(settings)
    target_id, _, _ = await seed(account, month)
    await roll_everything(resources)
    first, last = month
    variables = {
        "input": {
            "workspaceId": account.workspace_gid,
            "scope": {"targetIds": [encode("Target", target_id)]},
            "from": first.isoformat(),
            "to": last.isoformat(),
            "timezone": "Europe/Paris",
            "excludeMaintenance": False,
            "objective": 99.5,
        }
    }
    body = await gql(QUERY, variables, token=account.token)
    overall = body["data"]["slaReport"]["overall"]
    days = (last - first).days + 1
    assert overall["monitoredMinutes"] == days * 24 * 60
    assert overall["downtimeMinutes"] == 90 + 120
    assert overall["incidents"] == 3  # the one the planned work opened counts too
    assert overall["errorBudgetMinutes"] == round(days * 24 * 60 * 0.5 / 100, 2)
