"""The flapping guard caps alerts per target, channel and hour; reminders repeat while down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.core import clock
from api.incidents.service import process_transitions, send_reminders
from api.notifications.models import ChannelKind, DeliveryStatus, Notification
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.targets import create_target, transition


@pytest.fixture
def alert_overrides() -> dict[str, Any]:
    return {"alert_flap_limit_per_hour": 3}


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
        name="API",
        channels=[channel],
        alert_policy=policy,
        status=TargetStatus.UP,
    )
    return account, channel, target


async def test_flapping_target_sends_k_alerts_then_one_summary(
    resources, settings, receiver, run_core_jobs
) -> None:
    _, _, target = await _setup(resources, settings, receiver)
    for _ in range(4):
        await transition(target, TargetStatus.DOWN, cause="timeout")
        await transition(target, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()

    events = [r.json()["event"] for r in receiver.at("/hook")]  # delivered concurrently
    assert sorted(events) == ["DOWN", "DOWN", "SUMMARY", "UP"]
    summary = next(r.json() for r in receiver.at("/hook") if r.json()["event"] == "SUMMARY")
    assert summary["title"] == "Flapping: API" and "paused until" in summary["text"]
    assert await Notification.filter(status=DeliveryStatus.SUPPRESSED).count() == 4

    # An hour later alerts flow again
    clock.advance(timedelta(minutes=61))
    await transition(target, TargetStatus.DOWN, cause="timeout")
    await process_transitions(resources)
    await run_core_jobs()
    assert receiver.at("/hook")[-1].json()["event"] == "DOWN"


async def test_reminders_repeat_while_the_incident_stays_open(
    resources, settings, receiver, run_core_jobs
) -> None:
    _, _, target = await _setup(resources, settings, receiver, remindEveryMinutes=10)
    await transition(target, TargetStatus.DOWN, cause="HTTP 500")
    await process_transitions(resources)
    assert await send_reminders(resources) == 0

    clock.advance(timedelta(minutes=11))
    assert await send_reminders(resources) == 1
    assert await send_reminders(resources) == 0  # not twice for the same period
    clock.advance(timedelta(minutes=5))
    assert await send_reminders(resources) == 0
    clock.advance(timedelta(minutes=6))
    assert await send_reminders(resources) == 1
    await run_core_jobs()
    hooks = [h.json() for h in receiver.at("/hook")]  # delivered concurrently
    assert sorted(h["event"] for h in hooks) == ["DOWN", "REMINDER", "REMINDER"]
    reminders = sorted(h["text"] for h in hooks if h["event"] == "REMINDER")
    assert all(h["title"] == "Still DOWN: API" for h in hooks if h["event"] == "REMINDER")
    assert "has been down for 11 min" in reminders[0]
    assert "has been down for 22 min" in reminders[1]

    await transition(target, TargetStatus.UP)
    await process_transitions(resources)
    clock.advance(timedelta(minutes=30))
    assert await send_reminders(resources) == 0


async def test_no_reminders_without_remind_every_minutes(resources, settings, receiver) -> None:
    _, _, target = await _setup(resources, settings, receiver)
    await transition(target, TargetStatus.DOWN, cause="HTTP 500")
    await process_transitions(resources)
    clock.advance(timedelta(hours=5))
    assert await send_reminders(resources) == 0
