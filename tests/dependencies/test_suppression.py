"""The dependency rule: a dependent going DOWN while its upstream is DOWN is attached to
the upstream's incident and not alerted; the upstream alerts once, naming it; whatever
the order of arrival within the settle window."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from api.core import clock
from api.incidents.models import AlertEvent, IncidentCause
from api.resources import open_resources
from api.targets import dependencies
from api.targets.models import TargetGroup, TargetStatus
from tests.dependencies.helpers import (
    deliveries,
    incident_of,
    process_transitions,
    settle,
    world,
)
from tests.factories.accounts import owner_principal
from tests.factories.targets import create_target, transition


async def _assert_one_page_naming_b_and_c(w, receiver, run_core_jobs) -> None:
    a_inc, b_inc, c_inc = [await incident_of(t) for t in (w.a, w.b, w.c)]
    assert a_inc.cause_kind == IncidentCause.DIRECT and a_inc.upstream_id is None
    for dependent in (b_inc, c_inc):
        assert dependent.cause_kind == IncidentCause.UPSTREAM
        assert dependent.upstream_id == a_inc.id and dependent.notified_at is None
    assert await deliveries(w.a) == [("DOWN", "PENDING")]
    assert await deliveries(w.b) == [("DOWN", "SUPPRESSED")]
    assert await deliveries(w.c) == [("DOWN", "SUPPRESSED")]
    await run_core_jobs()
    (page,) = receiver.at("/hook")
    body = page.json()
    assert body["target"]["name"] == "A" and body["event"] == "DOWN"
    assert body["incident"]["affectedTargets"] == ["B", "C"]
    assert "B, C" in body["text"]


async def test_upstream_first_then_dependents_one_page(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    await transition(w.a, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await transition(w.b, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await transition(w.c, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await process_transitions(resources)
    # nothing is sent inside the settle window
    assert await deliveries(w.a) == []
    assert await settle(resources) == 1
    await _assert_one_page_naming_b_and_c(w, receiver, run_core_jobs)
    suppressed = await AlertEvent.get(target_id=w.b.id)
    assert suppressed.detail["upstreamTarget"] == "A"


async def test_dependents_first_then_upstream_within_the_window_ends_the_same(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    await transition(w.c, TargetStatus.DOWN, cause="timeout")
    await process_transitions(resources)
    clock.advance(timedelta(seconds=0.4))
    await transition(w.b, TargetStatus.DOWN, cause="timeout")
    await process_transitions(resources)
    clock.advance(timedelta(seconds=0.4))
    # no upstream yet: both held, nothing sent
    assert await deliveries(w.b) == [] and await deliveries(w.c) == []
    await transition(w.a, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await process_transitions(resources)
    await settle(resources)
    await _assert_one_page_naming_b_and_c(w, receiver, run_core_jobs)


async def test_held_dependent_attaches_at_the_end_of_its_window(
    resources, settings, receiver, run_core_jobs
) -> None:
    """The upstream's transition was handled first by a worker that did not see the
    dependent's incident yet: the pass at the end of the window attaches it."""
    w = await world(resources, settings, receiver)
    await transition(w.a, TargetStatus.DOWN)
    await process_transitions(resources)
    await transition(w.b, TargetStatus.DOWN)
    await transition(w.c, TargetStatus.DOWN)
    await process_transitions(resources)
    # simulate the race: the dependents' incidents were left DIRECT and held
    from api.incidents.models import Incident

    await Incident.filter(target_id__in=[w.b.id, w.c.id]).update(
        cause_kind=IncidentCause.DIRECT, upstream_id=None, hold_until=clock.now()
    )
    await AlertEvent.filter(target_id__in=[w.b.id, w.c.id]).delete()
    await settle(resources)
    await _assert_one_page_naming_b_and_c(w, receiver, run_core_jobs)


async def test_a_dependent_down_alone_is_alerted_after_the_window(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    await transition(w.b, TargetStatus.DOWN, cause="HTTP 500")
    await process_transitions(resources)
    assert await deliveries(w.b) == []
    await settle(resources)
    b_inc = await incident_of(w.b)
    assert b_inc.cause_kind == IncidentCause.DIRECT and b_inc.notified_at is not None
    assert await deliveries(w.b) == [("DOWN", "PENDING")]
    await run_core_jobs()
    assert [r.json()["target"]["name"] for r in receiver.at("/hook")] == ["B"]


async def test_a_blip_shorter_than_the_window_is_not_paged(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    await transition(w.b, TargetStatus.DOWN)
    await process_transitions(resources)
    clock.advance(timedelta(seconds=0.5))
    await transition(w.b, TargetStatus.UP)
    await process_transitions(resources)
    await settle(resources)
    await run_core_jobs()
    assert (await incident_of(w.b)).resolved_at is not None
    assert await deliveries(w.b) == [] and receiver.at("/hook") == []


async def test_upstream_recovers_while_a_dependent_stays_down(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    for target in (w.a, w.b, w.c):
        await transition(target, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await process_transitions(resources)
    await settle(resources)
    attached_b = await incident_of(w.b)

    # A comes back; C comes back with it, B stays down
    clock.advance(timedelta(minutes=5))
    await transition(w.a, TargetStatus.UP)
    await process_transitions(resources)
    await attached_b.refresh_from_db()
    assert attached_b.resolved_at is not None  # the UPSTREAM part is over
    own_b = await incident_of(w.b)
    assert own_b.id != attached_b.id and own_b.cause_kind == IncidentCause.DIRECT
    assert own_b.resolved_at is None and own_b.cause == "CONNECT_ERROR"
    await transition(w.c, TargetStatus.UP)
    await process_transitions(resources)
    assert await settle(resources) == 1  # B alone, after the window

    assert await deliveries(w.b) == [("DOWN", "SUPPRESSED"), ("DOWN", "PENDING")]
    assert await deliveries(w.c) == [("DOWN", "SUPPRESSED")]  # recovered: never paged
    await run_core_jobs()
    # (A's UP and B's DOWN are delivered side by side: compare as a set)
    assert sorted(
        (r.json()["event"], r.json()["target"]["name"]) for r in receiver.at("/hook")
    ) == [("DOWN", "A"), ("DOWN", "B"), ("UP", "A")]
    # and B's recovery is then notified like any alerted incident
    await transition(w.b, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    assert receiver.at("/hook")[-1].json()["event"] == "UP"
    assert receiver.at("/hook")[-1].json()["target"]["name"] == "B"


async def test_transitive_and_group_dependencies_attach_to_the_root(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    principal = owner_principal(w.account)
    # D depends on a group holding B (which depends on A): D -> {B} -> A
    d = await create_target(
        w.account.workspace, name="D", channels=[w.channel], status=TargetStatus.UP
    )
    group = await TargetGroup.create(workspace_id=w.account.workspace.id, name="backends")
    await group.targets.add(w.b)
    await dependencies.set_dependencies(
        principal, d.id, [dependencies.Ref("TargetGroup", group.id)]
    )
    for target in (d, w.b, w.a):  # the most downstream first
        await transition(target, TargetStatus.DOWN)
        await process_transitions(resources)
    await settle(resources)
    a_inc = await incident_of(w.a)
    for target in (w.b, d):
        inc = await incident_of(target)
        assert (inc.cause_kind, inc.upstream_id) == (IncidentCause.UPSTREAM, a_inc.id)
    await run_core_jobs()
    (page,) = receiver.at("/hook")
    assert page.json()["incident"]["affectedTargets"] == ["B", "D"]


async def test_a_dependent_recovering_while_upstream_is_down_is_silent(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    await transition(w.a, TargetStatus.DOWN)
    await transition(w.b, TargetStatus.DOWN)
    await process_transitions(resources)
    await settle(resources)
    await transition(w.b, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    assert (await incident_of(w.b)).resolved_at is not None
    assert [r.json()["target"]["name"] for r in receiver.at("/hook")] == ["A"]


async def test_pausing_a_down_upstream_hands_dependents_their_own_incident(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    await transition(w.a, TargetStatus.DOWN)
    await transition(w.b, TargetStatus.DOWN)
    await process_transitions(resources)
    await settle(resources)
    # A is paused: its state is unknown from now, so B's outage is B's own
    await transition(w.a, TargetStatus.PAUSED)
    await process_transitions(resources)
    await settle(resources)
    own_b = await incident_of(w.b)
    assert own_b.cause_kind == IncidentCause.DIRECT and own_b.notified_at is not None
    await run_core_jobs()
    assert sorted(r.json()["target"]["name"] for r in receiver.at("/hook")) == ["A", "B"]


async def test_concurrent_processors_page_once(
    resources, settings, receiver, redis_url, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    for target in (w.c, w.a, w.b):
        await transition(target, TargetStatus.DOWN)
    other = await open_resources(settings, redis_url)
    try:
        await asyncio.gather(process_transitions(resources), process_transitions(other))
        clock.advance(timedelta(seconds=2))
        from api.incidents.service import notify_after_maintenance

        await asyncio.gather(notify_after_maintenance(resources), notify_after_maintenance(other))
    finally:
        await other.close()
    await _assert_one_page_naming_b_and_c(w, receiver, run_core_jobs)


async def test_deleting_a_down_upstream_hands_dependents_their_own_incident(
    resources, settings, receiver, run_core_jobs
) -> None:
    w = await world(resources, settings, receiver)
    await transition(w.a, TargetStatus.DOWN)
    await transition(w.b, TargetStatus.DOWN)
    await process_transitions(resources)
    await settle(resources)
    await w.a.delete()
    await settle(resources)
    own_b = await incident_of(w.b)
    assert own_b.cause_kind == IncidentCause.DIRECT and own_b.notified_at is not None
    assert await deliveries(w.b) == [("DOWN", "SUPPRESSED"), ("DOWN", "PENDING")]


async def test_upstream_in_maintenance_pages_after_the_window_naming_dependents(
    resources, settings, receiver, run_core_jobs
) -> None:
    from api.maintenance.models import MaintenanceWindow

    w = await world(resources, settings, receiver)
    now = clock.now()
    window = await MaintenanceWindow.create(
        workspace=w.account.workspace,
        target=w.a,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(minutes=10),
    )
    await transition(w.a, TargetStatus.DOWN)
    await transition(w.b, TargetStatus.DOWN)
    await process_transitions(resources)
    assert await settle(resources) == 0  # A in its window: nobody paged
    assert (await incident_of(w.b)).cause_kind == IncidentCause.UPSTREAM
    assert await deliveries(w.a) == [] and await deliveries(w.b) == [("DOWN", "SUPPRESSED")]

    window.ends_at = clock.now()
    await window.save()
    assert await settle(resources, 60) == 1  # the window is over, A still down
    await run_core_jobs()
    (page,) = receiver.at("/hook")
    assert page.json()["target"]["name"] == "A"
    assert page.json()["incident"]["affectedTargets"] == ["B"]
