"""The public page: component statuses derived from the targets, uptime bars from the
rollups, incidents, and nothing that belongs to the workspace's inside."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from api.core import clock
from api.incidents.service import process_transitions
from api.maintenance.models import MaintenanceWindow
from api.results.rollups import rollup_day, rollup_hour
from api.targets.models import CheckStatus, TargetStatus
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import create_result, probe_result
from tests.factories.targets import create_target, transition
from tests.statuspages.helpers import (
    announced_transition,
    create_page,
    gid,
    public,
    three_targets,
)

REGIONS = ["eu-west", "us-east", "ap-south"]


async def _page(gql, settings, **overrides):
    owner = await create_account(settings)
    targets = await three_targets(owner)
    body = await create_page(gql, owner, targets, **overrides)
    assert body["data"]["createStatusPage"]["errors"] == [], body
    return owner, targets


async def _statuses(gql) -> tuple[str, str]:
    page = (await public(gql))["data"]["statusPage"]
    return page["status"], page["components"][0]["status"]


async def test_one_target_down_through_the_ingest_is_a_partial_outage(
    gql, settings, resources
) -> None:
    _, targets = await _page(gql, settings)
    assert await _statuses(gql) == ("OPERATIONAL", "OPERATIONAL")

    # The site behind one target stops answering: every region reports it DOWN.
    await ingest_results(
        resources,
        [probe_result(targets[0], r, "DOWN", due_ms=1, error="CONNECT_ERROR") for r in REGIONS],
    )
    assert await _statuses(gql) == ("PARTIAL_OUTAGE", "PARTIAL_OUTAGE")

    for target in targets[1:]:
        await announced_transition(resources, target, TargetStatus.DOWN)
    assert await _statuses(gql) == ("MAJOR_OUTAGE", "MAJOR_OUTAGE")

    for target in targets:
        await announced_transition(resources, target, TargetStatus.UP)
    await announced_transition(resources, targets[2], TargetStatus.DEGRADED)
    assert await _statuses(gql) == ("DEGRADED_PERFORMANCE", "DEGRADED_PERFORMANCE")


async def test_the_overall_status_is_the_worst_component(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    components = [
        {"name": "API", "targetIds": [gid(targets[0])]},
        {"name": "Site", "targetIds": [gid(targets[1]), gid(targets[2])]},
    ]
    await create_page(gql, owner, targets, components=components)
    await transition(targets[0], TargetStatus.DOWN)
    page = (await public(gql))["data"]["statusPage"]
    assert [c["status"] for c in page["components"]] == ["MAJOR_OUTAGE", "OPERATIONAL"]
    assert page["status"] == "MAJOR_OUTAGE"


async def test_a_maintenance_window_shows_under_maintenance(gql, settings) -> None:
    owner, targets = await _page(gql, settings)
    now = clock.now()
    await MaintenanceWindow.create(
        workspace=owner.workspace,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )
    await transition(targets[0], TargetStatus.DOWN, cause="planned restart")
    assert await _statuses(gql) == ("UNDER_MAINTENANCE", "UNDER_MAINTENANCE")


async def test_ninety_daily_bars_come_from_the_rollups(gql, settings) -> None:
    owner, targets = await _page(gql, settings, regions=["eu-west"])
    today = clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    two_days_ago = today - timedelta(days=2, hours=-3)
    # 3 of 4 checks up two days ago (eu-west), plus a failing us-east check not shown.
    for i, status in enumerate(["UP", "UP", "UP", "DOWN"]):
        await create_result(targets[i % 2], at=two_days_ago + timedelta(minutes=i), status=status)
    await create_result(targets[2], at=two_days_ago, region="us-east", status=CheckStatus.DOWN)
    await rollup_hour(None, two_days_ago)
    await rollup_day(None, two_days_ago)
    # Maintenance on one of the page's targets five days ago (marked), and on a target
    # that is on no component ten days ago (not marked).
    five_days_ago = today - timedelta(days=5, hours=-10)
    await MaintenanceWindow.create(
        workspace=owner.workspace,
        target=targets[0],
        starts_at=five_days_ago,
        ends_at=five_days_ago + timedelta(hours=2),
    )
    elsewhere = await create_target(owner.workspace, name="not on the page")
    await MaintenanceWindow.create(
        workspace=owner.workspace,
        target=elsewhere,
        starts_at=today - timedelta(days=10),
        ends_at=today - timedelta(days=10, hours=-2),
    )

    page = (await public(gql))["data"]["statusPage"]
    bars = page["components"][0]["uptimeDays"]
    assert len(bars) == 90
    assert bars[-1]["date"] == today.date().isoformat()
    assert bars[0]["date"] == (today - timedelta(days=89)).date().isoformat()
    assert bars[-3] == {
        "date": two_days_ago.date().isoformat(),
        "uptime": 0.75,
        "maintenance": False,
    }
    assert [i for i, b in enumerate(bars) if b["maintenance"]] == [84]
    assert all(b["uptime"] is None for i, b in enumerate(bars) if i != 87)


async def test_incidents_and_their_updates_are_shown(gql, settings, resources) -> None:
    _, targets = await _page(gql, settings)
    await transition(targets[1], TargetStatus.DOWN, cause="connect to 10.0.0.7:5432 refused")
    await process_transitions(resources)
    page = (await public(gql))["data"]["statusPage"]
    (incident,) = page["incidents"]
    assert incident["resolvedAt"] is None
    component_id = page["components"][0]["id"]
    assert incident["componentIds"] == [component_id]


async def test_the_public_page_leaks_nothing_of_the_targets(gql, settings, resources) -> None:
    _, targets = await _page(gql, settings)
    await transition(targets[0], TargetStatus.DOWN, cause="connect to 10.0.0.7:5432 refused")
    await process_transitions(resources)
    text = json.dumps(await public(gql))
    for target in targets:
        assert gid(target) not in text
        assert target.name not in text
        assert target.config["url"] not in text
    for secretish in ("internal.example.test", "s3cr3t", "10.0.0.7", "refused", "workspace"):
        assert secretish not in text
    assert "PARTIAL_OUTAGE" in text  # the page itself is there


async def test_unknown_slugs_and_wrong_passwords_answer_alike(gql, settings) -> None:
    await _page(gql, settings, visibility="PASSWORD", password="open sesame")
    unknown = await public(gql, slug="nope")
    assert unknown["data"] == {"statusPage": None} and "errors" not in unknown
    unknown.pop("extensions")  # the cost differs with the arguments, not with the page
    for answer in (
        await public(gql),
        await public(gql, password="wrong password"),
        await public(gql, slug="nope", password="open sesame"),
        await public(gql, slug="../../etc", password="x"),
    ):
        answer.pop("extensions")
        assert answer == unknown
    page = (await public(gql, password="open sesame"))["data"]["statusPage"]
    assert page["title"] == "Acme status" and page["status"] == "OPERATIONAL"


async def test_a_public_page_needs_no_password(gql, settings) -> None:
    await _page(gql, settings)
    page = (await public(gql, password="anything"))["data"]["statusPage"]
    assert page["logoUrl"] == "https://cdn.acme.test/logo.png"
