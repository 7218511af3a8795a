"""What the public page shows beyond statuses: component groups, monitoring's incidents
with a default text (a page setting), scheduled maintenance, 24-hour response times, and
nothing of the workspace's inside in any of it."""

from __future__ import annotations

import json
from datetime import timedelta

from api.core import clock
from api.core.ids import decode, encode
from api.incidents.service import process_transitions
from api.maintenance.models import MaintenanceWindow
from api.results.rollups import floor_hour, rollup_hour
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account
from tests.factories.results import create_result
from tests.factories.targets import create_target, transition
from tests.statuspages.helpers import create_page, gid, public, three_targets

UPDATE = """mutation($id: ID!, $patch: StatusPagePatch!) {
  updateStatusPage(id: $id, patch: $patch) { errors { field code }
    statusPage { autoShowIncidents components { name group } } } }"""


async def _grouped(gql, settings, **overrides):
    owner = await create_account(settings)
    targets = await three_targets(owner)
    components = [
        {"name": "API", "group": "Backend", "targetIds": [gid(targets[0])]},
        {"name": "Database", "group": "Backend", "targetIds": [gid(targets[1])]},
        {"name": "Web site", "targetIds": [gid(targets[2])]},
    ]
    body = await create_page(gql, owner, targets, components=components, **overrides)
    assert body["data"]["createStatusPage"]["errors"] == [], body
    return owner, targets, body["data"]["createStatusPage"]["statusPage"]["id"]


async def test_components_are_grouped_and_a_group_shows_its_worst_status(
    gql, settings, resources
) -> None:
    _, targets, _ = await _grouped(gql, settings)
    await transition(targets[1], TargetStatus.DOWN)
    await transition(targets[0], TargetStatus.DEGRADED)

    page = (await public(gql))["data"]["statusPage"]

    api, database, site = page["components"]
    assert [c["group"] for c in page["components"]] == ["Backend", "Backend", None]
    assert page["groups"] == [
        {"name": "Backend", "status": "MAJOR_OUTAGE", "componentIds": [api["id"], database["id"]]}
    ]
    assert site["status"] == "OPERATIONAL" and page["status"] == "MAJOR_OUTAGE"


async def test_a_monitoring_incident_shows_with_the_default_text_then_resolves(
    gql, settings, resources
) -> None:
    _, targets, _ = await _grouped(gql, settings)
    await transition(targets[1], TargetStatus.DOWN, cause="connect to 10.0.0.7:5432 refused")
    await process_transitions(resources)

    (incident,) = (await public(gql))["data"]["statusPage"]["incidents"]
    (text,) = incident["updates"]
    assert text["state"] == "INVESTIGATING" and text["title"] == "Investigating"
    assert text["message"].startswith("We are investigating an outage affecting Database.")
    assert "10.0.0.7" not in json.dumps(incident)

    await transition(targets[1], TargetStatus.UP)
    await process_transitions(resources)
    (incident,) = (await public(gql))["data"]["statusPage"]["incidents"]
    assert incident["resolvedAt"] is not None
    assert [u["state"] for u in incident["updates"]] == ["RESOLVED", "INVESTIGATING"]


async def test_with_auto_show_off_only_incidents_members_posted_about_show(
    gql, settings, resources
) -> None:
    owner, targets, page_id = await _grouped(gql, settings, autoShowIncidents=False)
    await transition(targets[0], TargetStatus.DOWN)
    await process_transitions(resources)
    page = (await public(gql))["data"]["statusPage"]
    assert page["incidents"] == [] and page["components"][0]["status"] == "MAJOR_OUTAGE"

    # Turned on later: the open incident shows.
    body = await gql(
        UPDATE, {"id": page_id, "patch": {"autoShowIncidents": True}}, token=owner.token
    )
    assert body["data"]["updateStatusPage"]["statusPage"]["autoShowIncidents"] is True
    assert len((await public(gql))["data"]["statusPage"]["incidents"]) == 1


async def test_scheduled_maintenance_is_listed_without_its_internal_name(
    gql, settings, resources
) -> None:
    owner, targets, _ = await _grouped(gql, settings)
    now = clock.now()
    soon = now + timedelta(days=2)
    await MaintenanceWindow.create(
        workspace=owner.workspace,
        target=targets[1],
        name="failover drill on db-7.internal",
        starts_at=soon,
        ends_at=soon + timedelta(hours=1),
    )
    await MaintenanceWindow.create(  # the whole workspace, in progress
        workspace=owner.workspace,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )
    elsewhere = await create_target(owner.workspace, name="not on the page")
    await MaintenanceWindow.create(
        workspace=owner.workspace,
        target=elsewhere,
        starts_at=soon,
        ends_at=soon + timedelta(hours=1),
    )
    await MaintenanceWindow.create(  # over
        workspace=owner.workspace,
        target=targets[0],
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2, hours=-1),
    )

    answer = await public(gql)
    page = answer["data"]["statusPage"]
    ids = [c["id"] for c in page["components"]]
    current, drill = page["maintenance"]
    assert current["inProgress"] is True and current["componentIds"] == ids
    assert drill["inProgress"] is False and drill["componentIds"] == [ids[1]]
    assert drill["startsAt"].startswith(soon.isoformat()[:16])
    assert "failover drill" not in json.dumps(answer) and "internal" not in json.dumps(answer)


async def test_response_times_of_the_last_24_hours_come_from_the_hourly_rollups(
    gql, settings, resources
) -> None:
    _, targets, _ = await _grouped(gql, settings, regions=["eu-west"])
    hour = floor_hour(clock.now()) - timedelta(hours=3)
    for ms, target, region in [
        (100.0, targets[0], "eu-west"),
        (300.0, targets[0], "eu-west"),
        (900.0, targets[0], "us-east"),  # a region the page does not show
        (50.0, targets[2], "eu-west"),
    ]:
        await create_result(
            target, at=hour + timedelta(minutes=5), region=region, response_time_ms=ms
        )
    old = hour - timedelta(hours=30)  # before the window
    await create_result(targets[0], at=old, response_time_ms=5000.0)
    await rollup_hour(None, hour)
    await rollup_hour(None, old)

    page = (await public(gql))["data"]["statusPage"]

    api, database, site = page["components"]
    assert api["responseTimeMs"] == 200.0 and site["responseTimeMs"] == 50.0
    assert database["responseTimeMs"] is None
    assert len(api["responseTimes"]) == 24
    points = {p["hour"][:13]: p["averageMs"] for p in api["responseTimes"]}
    assert points[hour.isoformat()[:13]] == 200.0
    assert [p for p in points.values() if p is not None] == [200.0]


async def test_the_whole_public_answer_names_only_its_components(gql, settings, resources) -> None:
    owner, targets, page_id = await _grouped(gql, settings)
    await transition(targets[0], TargetStatus.DOWN, cause="TLS error on 10.0.0.7")
    await process_transitions(resources)
    await MaintenanceWindow.create(
        workspace=owner.workspace,
        target=targets[1],
        name="secret window",
        starts_at=clock.now() + timedelta(days=1),
        ends_at=clock.now() + timedelta(days=1, hours=1),
    )
    answer = await public(gql)
    page = answer["data"]["statusPage"]
    component_ids = {c["id"] for c in page["components"]}

    def walk(value, path=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for v in value:
                yield from walk(v, path)
        elif isinstance(value, str):
            yield path, value

    for path, text in walk(page):
        if path.endswith("Ids") or path.endswith(".id"):
            assert text in component_ids, path
            assert decode(text, "StatusPageComponent") > 0
        for target in targets:
            assert gid(target) != text and target.name not in text
            assert "internal.example.test" not in text and "s3cr3t" not in text
        for secretish in ("10.0.0.7", "TLS error", "secret window", page_id, owner.workspace_gid):
            assert secretish not in text, path
    assert encode("Target", targets[0].id) not in json.dumps(answer)
    assert page["status"] == "MAJOR_OUTAGE"
