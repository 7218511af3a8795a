"""Maintenance windows hold alerts back; an incident that outlives one is told at its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.core import clock
from api.core.ids import encode
from api.incidents.models import Incident
from api.incidents.service import notify_after_maintenance, process_transitions, send_reminders
from api.maintenance.models import MaintenanceWindow
from api.maintenance.service import covers, in_maintenance
from api.notifications.models import ChannelKind, Notification
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account, create_pat
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.results import create_result
from tests.factories.targets import create_target, transition


async def _setup(resources, settings, receiver, **policy):
    account = await create_account(settings)
    channel = await create_channel(
        resources,
        account,
        ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )
    target = await create_target(
        account.workspace,
        name="DB",
        channels=[channel],
        alert_policy=policy,
        status=TargetStatus.UP,
    )
    return account, target


async def _window(account, target=None, minutes=60, **kw):
    now = clock.now()
    return await MaintenanceWindow.create(
        workspace=account.workspace,
        target=target,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(minutes=minutes),
        **kw,
    )


async def test_down_and_up_inside_a_window_send_nothing(
    resources, settings, receiver, run_core_jobs
) -> None:
    account, target = await _setup(resources, settings, receiver)
    await _window(account)
    await transition(target, TargetStatus.DOWN, cause="planned restart")
    await transition(target, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    assert await Incident.all().count() == 1  # still recorded for the history
    assert await Notification.all().count() == 0 and receiver.at("/hook") == []
    clock.advance(timedelta(hours=2))
    assert await notify_after_maintenance(resources) == 0


async def test_incident_outliving_the_window_is_notified_when_it_ends(
    resources, settings, receiver, run_core_jobs
) -> None:
    account, target = await _setup(resources, settings, receiver, remindEveryMinutes=5)
    await _window(account, target=target, minutes=30)
    await transition(target, TargetStatus.DOWN, cause="disk full")
    await process_transitions(resources)
    clock.advance(timedelta(minutes=10))
    assert await notify_after_maintenance(resources) == 0
    assert await send_reminders(resources) == 0  # reminders are held back too

    clock.advance(timedelta(minutes=25))  # the window is over, the target still down
    assert await notify_after_maintenance(resources) == 1
    assert await notify_after_maintenance(resources) == 0
    await run_core_jobs()
    (hook,) = receiver.at("/hook")
    assert hook.json()["event"] == "DOWN" and "disk full" in hook.json()["text"]

    await transition(target, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    assert [h.json()["event"] for h in receiver.at("/hook")] == ["DOWN", "UP"]


async def test_target_window_does_not_silence_other_targets(resources, settings, receiver) -> None:
    account, target = await _setup(resources, settings, receiver)
    other = await create_target(account.workspace, name="other", status=TargetStatus.UP)
    await _window(account, target=target)
    assert await in_maintenance(target.id, clock.now())
    assert not await in_maintenance(other.id, clock.now())
    await _window(account)  # workspace-wide
    assert await in_maintenance(other.id, clock.now())


def test_weekly_window_repeats_on_its_days() -> None:
    start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # a Monday, 02:00-03:00
    window = MaintenanceWindow(
        starts_at=start, ends_at=start + timedelta(hours=1), weekly=True, weekdays=[0, 3]
    )
    assert covers(window, datetime(2026, 1, 12, 2, 30, tzinfo=UTC))  # next Monday
    assert covers(window, datetime(2026, 1, 8, 2, 59, tzinfo=UTC))  # Thursday
    assert not covers(window, datetime(2026, 1, 8, 3, 0, tzinfo=UTC))
    assert not covers(window, datetime(2026, 1, 13, 2, 30, tzinfo=UTC))  # Tuesday
    assert not covers(window, datetime(2026, 1, 1, 2, 30, tzinfo=UTC))  # before it began
    window.until = datetime(2026, 1, 10, tzinfo=UTC)
    assert not covers(window, datetime(2026, 1, 12, 2, 30, tzinfo=UTC))


CREATE = """mutation($input: MaintenanceWindowInput!) {
  createMaintenanceWindow(input: $input) {
    maintenanceWindow { id name weekly weekdays targetId }
    errors { field code message }
  }
}"""
LIST = (
    """query($id: ID!) { node(id: $id) { ... on Workspace { maintenanceWindows { id name } } } }"""
)
DELETE = """mutation($id: ID!) { deleteMaintenanceWindow(id: $id) { deletedId errors { code } } }"""


async def test_windows_through_graphql_with_tenancy(gql, settings) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    now = clock.now()
    window_input = {
        "workspaceId": owner.workspace_gid,
        "targetId": encode("Target", target.id),
        "name": "Kernel upgrade",
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "weekly": True,
        "weekdays": [1, 5],
    }
    created = await gql(CREATE, {"input": window_input}, token=owner.token)
    window = created["data"]["createMaintenanceWindow"]["maintenanceWindow"]
    assert window["name"] == "Kernel upgrade" and window["weekdays"] == [1, 5]

    bad = await gql(
        CREATE, {"input": {**window_input, "endsAt": now.isoformat()}}, token=owner.token
    )
    assert bad["data"]["createMaintenanceWindow"]["errors"][0]["field"] == "endsAt"
    foreign = await gql(CREATE, {"input": window_input}, token=stranger.token)
    assert foreign["data"]["createMaintenanceWindow"]["errors"][0]["code"] == "NOT_FOUND"
    anon = await gql(CREATE, {"input": window_input})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    listed = await gql(LIST, {"id": owner.workspace_gid}, token=owner.token)
    assert [w["name"] for w in listed["data"]["node"]["maintenanceWindows"]] == ["Kernel upgrade"]
    assert (
        await gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": window["id"]}, token=stranger.token
        )
    )["data"]["node"] is None

    pat = await create_pat(owner.user, ["alerts:read"])
    no_scope = await gql(DELETE, {"id": window["id"]}, token=pat)
    assert no_scope["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "alerts:write"}
    gone = await gql(DELETE, {"id": window["id"]}, token=stranger.token)
    assert gone["data"]["deleteMaintenanceWindow"]["errors"][0]["code"] == "NOT_FOUND"
    deleted = await gql(DELETE, {"id": window["id"]}, token=owner.token)
    assert deleted["data"]["deleteMaintenanceWindow"]["deletedId"] == window["id"]
    assert await MaintenanceWindow.all().count() == 0


async def test_results_inside_a_window_are_flagged(resources, settings) -> None:
    from api.incidents.service import process_transitions as after_ingest
    from api.targets.models import CheckResult

    account = await create_account(settings)
    target = await create_target(account.workspace, status=TargetStatus.UP)
    other = await create_target(account.workspace, name="other", status=TargetStatus.UP)
    now = clock.now()
    await MaintenanceWindow.create(
        workspace=account.workspace,
        target=target,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(minutes=5),
    )
    for i, (row_target, minutes_ago) in enumerate([(target, 2), (target, 8), (other, 2)]):
        await create_result(row_target, check_id=f"c{i}", at=now - timedelta(minutes=minutes_ago))
    await after_ingest(resources)  # the ingest calls this after each batch
    flagged = await CheckResult.filter(in_maintenance=True).values_list("check_id", flat=True)
    assert flagged == ["c0"]
