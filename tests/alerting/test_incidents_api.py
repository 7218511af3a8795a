"""Incidents through GraphQL: Workspace.incidents(open), Target.incidents,
Incident.notifications, node(id), with tenancy and scopes."""

from __future__ import annotations

from api.core.ids import encode
from api.incidents.models import Incident
from api.incidents.service import process_transitions
from api.notifications.models import ChannelKind
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account, create_pat
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.targets import create_target, transition

WORKSPACE_INCIDENTS = """query($id: ID!, $open: Boolean) {
  node(id: $id) { ... on Workspace {
    incidents(open: $open, first: 10) {
      totalCount
      edges { node { id cause regions startedAt resolvedAt target { id name }
        notifications { event status attempts sentAt lastError channel { id name } } } }
    }
  } }
}"""
TARGET_INCIDENTS = """query($id: ID!) {
  node(id: $id) { ... on Target { incidents { totalCount edges { node { id resolvedAt } } } } }
}"""
NODE = """query($id: ID!) { node(id: $id) { ... on Incident { id cause } } }"""


async def _history(resources, settings, receiver, run_core_jobs):
    account = await create_account(settings)
    channel = await create_channel(
        resources,
        account,
        ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
        name="ops hook",
    )
    target = await create_target(
        account.workspace, name="Checkout", channels=[channel], status=TargetStatus.UP
    )
    await transition(target, TargetStatus.DOWN, cause="HTTP 502")
    await transition(target, TargetStatus.UP)
    await transition(target, TargetStatus.DOWN, cause="TLS handshake failed", regions=["eu-west"])
    await process_transitions(resources)
    await run_core_jobs()
    return account, channel, target


async def test_workspace_and_target_incidents_with_their_deliveries(
    gql, resources, settings, receiver, run_core_jobs
) -> None:
    account, channel, target = await _history(resources, settings, receiver, run_core_jobs)
    everything = await gql(WORKSPACE_INCIDENTS, {"id": account.workspace_gid}, token=account.token)
    page = everything["data"]["node"]["incidents"]
    assert page["totalCount"] == 2
    newest, oldest = (e["node"] for e in page["edges"])
    assert newest["cause"] == "TLS handshake failed" and newest["regions"] == ["eu-west"]
    assert newest["resolvedAt"] is None and oldest["resolvedAt"] is not None
    assert newest["target"] == {"id": encode("Target", target.id), "name": "Checkout"}
    assert [(n["event"], n["status"], n["attempts"]) for n in oldest["notifications"]] == [
        ("DOWN", "SENT", 1),
        ("UP", "SENT", 1),
    ]
    assert oldest["notifications"][0]["channel"] == {
        "id": encode("AlertChannel", channel.id),
        "name": "ops hook",
    }

    open_only = await gql(
        WORKSPACE_INCIDENTS, {"id": account.workspace_gid, "open": True}, token=account.token
    )
    assert [e["node"]["id"] for e in open_only["data"]["node"]["incidents"]["edges"]] == [
        newest["id"]
    ]
    closed = await gql(
        WORKSPACE_INCIDENTS, {"id": account.workspace_gid, "open": False}, token=account.token
    )
    assert [e["node"]["id"] for e in closed["data"]["node"]["incidents"]["edges"]] == [oldest["id"]]

    by_target = await gql(
        TARGET_INCIDENTS, {"id": encode("Target", target.id)}, token=account.token
    )
    assert by_target["data"]["node"]["incidents"]["totalCount"] == 2

    log = await gql(
        """query($id: ID!) { node(id: $id) { ... on AlertChannel {
            notifications(first: 2) { totalCount edges { node { event status } } } } } }""",
        {"id": encode("AlertChannel", channel.id)},
        token=account.token,
    )
    deliveries = log["data"]["node"]["notifications"]
    assert deliveries["totalCount"] == 3
    assert [e["node"] for e in deliveries["edges"]] == [
        {"event": "DOWN", "status": "SENT"},
        {"event": "UP", "status": "SENT"},
    ]
    node = await gql(NODE, {"id": newest["id"]}, token=account.token)
    assert node["data"]["node"] == {"id": newest["id"], "cause": "TLS handshake failed"}


async def test_incident_tenancy_and_scopes(
    gql, resources, settings, receiver, run_core_jobs
) -> None:
    account, _, target = await _history(resources, settings, receiver, run_core_jobs)
    stranger = await create_account(settings)
    incident_gid = encode("Incident", (await Incident.all().first()).id)

    assert (await gql(NODE, {"id": incident_gid}, token=stranger.token))["data"]["node"] is None
    assert (await gql(NODE, {"id": incident_gid}))["data"]["node"] is None
    foreign = await gql(WORKSPACE_INCIDENTS, {"id": account.workspace_gid}, token=stranger.token)
    assert foreign["data"]["node"] is None
    foreign = await gql(TARGET_INCIDENTS, {"id": encode("Target", target.id)}, token=stranger.token)
    assert foreign["data"]["node"] is None

    no_alerts = await create_pat(account.user, ["targets:read"])
    denied = await gql(TARGET_INCIDENTS, {"id": encode("Target", target.id)}, token=no_alerts)
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "alerts:read"}
    denied = await gql(WORKSPACE_INCIDENTS, {"id": account.workspace_gid}, token=no_alerts)
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "alerts:read"}
    assert (await gql(NODE, {"id": incident_gid}, token=no_alerts))["data"]["node"] is None

    bad_cursor = await gql(
        """query($id: ID!) { node(id: $id) { ... on Workspace { incidents(after: "zzz") { totalCount } } } }""",
        {"id": account.workspace_gid},
        token=account.token,
    )
    assert bad_cursor["errors"][0]["extensions"]["code"] == "INVALID"


async def test_notification_kind_is_an_enum_beside_the_deprecated_event(
    gql, resources, settings, receiver, run_core_jobs
) -> None:
    account, _, _ = await _history(resources, settings, receiver, run_core_jobs)
    query = WORKSPACE_INCIDENTS.replace("notifications { event", "notifications { kind event")
    result = await gql(query, {"id": account.workspace_gid}, token=account.token)
    notifications = [
        n for e in result["data"]["node"]["incidents"]["edges"] for n in e["node"]["notifications"]
    ]
    assert notifications and all(n["kind"] == n["event"] for n in notifications)
    assert {n["kind"] for n in notifications} == {"DOWN", "UP"}
