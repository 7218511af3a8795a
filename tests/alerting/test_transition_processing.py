"""Transitions become incidents and alerts exactly once, even with concurrent workers."""

from __future__ import annotations

import asyncio
import json

from api.core import clock
from api.events import events_channel
from api.incidents.models import AlertEvent, Incident
from api.incidents.service import process_transitions
from api.notifications.models import ChannelKind, DeliveryStatus, Notification
from api.resources import CORE_QUEUE, open_resources
from api.targets.models import StateTransition, TargetStatus
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.targets import create_target, transition


async def _webhooks(resources, receiver, account, n=2):
    return [
        await create_channel(
            resources,
            account,
            ChannelKind.WEBHOOK,
            {"url": f"{receiver.url}/hook/{i}", "secret": WEBHOOK_SECRET},
        )
        for i in range(n)
    ]


async def test_two_concurrent_processors_handle_each_transition_once(
    resources, settings, receiver, redis_url, run_core_jobs
) -> None:
    account = await create_account(settings)
    channels = await _webhooks(resources, receiver, account)
    targets = [
        await create_target(
            account.workspace, name=f"site {i}", channels=channels, status=TargetStatus.UP
        )
        for i in range(6)
    ]
    for target in targets:
        await transition(target, TargetStatus.DOWN, cause="timeout")
    other = await open_resources(settings, redis_url)
    try:
        handled = await asyncio.gather(
            process_transitions(resources),
            process_transitions(other),
            process_transitions(resources),
        )
    finally:
        await other.close()
    assert sum(handled) == 6
    assert await StateTransition.filter(claimed_at__isnull=True).count() == 0
    assert await Incident.all().count() == 6
    assert await Notification.all().count() == 12
    assert await resources.redis.zcard(CORE_QUEUE) == 12

    await run_core_jobs()
    assert len(receiver.at("/hook/0")) == 6 and len(receiver.at("/hook/1")) == 6
    assert await Notification.filter(status=DeliveryStatus.SENT).count() == 12
    # a late second pass finds nothing left to do
    assert await process_transitions(resources) == 0


async def test_a_claimed_transition_is_not_processed_again(resources, settings, receiver) -> None:
    account = await create_account(settings)
    target = await create_target(
        account.workspace,
        channels=await _webhooks(resources, receiver, account, 1),
        status=TargetStatus.UP,
    )
    row = await transition(target, TargetStatus.DOWN)
    await StateTransition.filter(id=row.id).update(claimed_at=clock.now())
    assert await process_transitions(resources) == 0
    assert await Incident.all().count() == 0


async def test_incident_opens_and_resolves_with_duration_and_events_are_published(
    resources, settings, receiver
) -> None:
    account = await create_account(settings)
    target = await create_target(account.workspace, channels=[], status=TargetStatus.UP)
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(events_channel(resources.redis))
    try:
        await transition(target, TargetStatus.DOWN, cause="DNS lookup failed", regions=["us-east"])
        await process_transitions(resources)
        clock.advance(__import__("datetime").timedelta(minutes=7))
        await transition(target, TargetStatus.UP)
        await process_transitions(resources)
        seen = []
        for _ in range(50):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message:
                seen.append(json.loads(message["data"]))
            if len(seen) == 2:
                break
    finally:
        await pubsub.aclose()
    incident = await Incident.get(target_id=target.id)
    assert incident.cause == "DNS lookup failed" and incident.regions == ["us-east"]
    assert (incident.resolved_at - incident.started_at).total_seconds() >= 7 * 60
    assert [(e["type"], e["state"], e["incidentId"], e["targetId"]) for e in seen] == [
        ("incident", "opened", incident.id, target.id),
        ("incident", "resolved", incident.id, target.id),
    ]


async def test_degraded_is_an_alertable_event_without_an_incident(
    resources, settings, receiver, run_core_jobs
) -> None:
    account = await create_account(settings)
    target = await create_target(
        account.workspace,
        channels=await _webhooks(resources, receiver, account, 1),
        status=TargetStatus.UP,
    )
    await transition(target, TargetStatus.DEGRADED, cause="response took 2400 ms (over 1000 ms)")
    await process_transitions(resources)
    await run_core_jobs()
    assert await Incident.all().count() == 0
    (hook,) = receiver.at("/hook/0")
    assert hook.json()["event"] == "DEGRADED"
    assert "response took 2400 ms" in hook.json()["text"]


async def test_notify_on_filters_what_is_sent(resources, settings, receiver, run_core_jobs) -> None:
    account = await create_account(settings)
    target = await create_target(
        account.workspace,
        channels=await _webhooks(resources, receiver, account, 1),
        alert_policy={"notifyOn": ["DOWN"]},
        status=TargetStatus.UP,
    )
    await transition(target, TargetStatus.DOWN, cause="timeout")
    await transition(target, TargetStatus.DEGRADED, cause="slow")
    await transition(target, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    assert [r.json()["event"] for r in receiver.at("/hook/0")] == ["DOWN"]
    assert await AlertEvent.filter(kind="UP").count() == 1  # recorded, just not sent


async def test_workspace_default_policy_applies_to_targets_without_one(
    resources, settings, receiver, run_core_jobs
) -> None:
    from api.notifications.policy import parse_policy, set_workspace_default

    account = await create_account(settings)
    _, second = await _webhooks(resources, receiver, account, 2)
    await set_workspace_default(
        account.workspace.id, await parse_policy(account.workspace.id, {"channelIds": [second.id]})
    )
    target = await create_target(account.workspace, alert_policy=None, status=TargetStatus.UP)
    await transition(target, TargetStatus.DOWN, cause="timeout")
    await process_transitions(resources)
    await run_core_jobs()
    assert receiver.at("/hook/0") == [] and len(receiver.at("/hook/1")) == 1
