"""Transient failures are retried with backoff, permanent ones are not; a channel that
keeps failing permanently is disabled and the workspace owners are told."""

from __future__ import annotations

from typing import Any

import pytest

from api.incidents.service import process_transitions
from api.notifications.models import ChannelKind, DeliveryStatus, Notification
from api.targets.models import TargetStatus
from tests.alerting.receiver import Answer
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.targets import create_target, transition


@pytest.fixture
def alert_overrides() -> dict[str, Any]:
    return {"alert_channel_failure_limit": 3, "alert_max_attempts": 4}


async def _down(resources, receiver, settings, *, kind=ChannelKind.WEBHOOK, config=None):
    account = await create_account(settings, email="boss@example.test")
    channel = await create_channel(
        resources,
        account,
        kind,
        config or {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )
    target = await create_target(account.workspace, channels=[channel], status=TargetStatus.UP)
    await transition(target, TargetStatus.DOWN, cause="connection refused")
    await process_transitions(resources)
    return account, channel, target


async def test_server_error_is_retried_until_it_succeeds(
    resources, settings, receiver, run_core_jobs
) -> None:
    receiver.script("/hook", Answer(500), Answer(502))
    await _down(resources, receiver, settings)
    await run_core_jobs()
    assert len(receiver.at("/hook")) == 3
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.SENT and row.attempts == 3 and row.sent_at is not None
    gaps = [
        b.at - a.at for a, b in zip(receiver.at("/hook"), receiver.at("/hook")[1:], strict=False)
    ]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # exponential backoff from a 0.05 s base


@pytest.mark.slow
async def test_timeout_is_retried(resources, settings, receiver, run_core_jobs) -> None:
    receiver.script("/hook", Answer(200, delay=3))  # longer than the 2 s client timeout
    await _down(resources, receiver, settings)
    await run_core_jobs()
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2


async def test_429_waits_for_retry_after(resources, settings, receiver, run_core_jobs) -> None:
    receiver.script("/hook", Answer(429, headers={"Retry-After": "1"}))
    await _down(resources, receiver, settings)
    await run_core_jobs()
    first, second = receiver.at("/hook")
    assert second.at - first.at >= 0.95
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2


async def test_client_error_is_not_retried(resources, settings, receiver, run_core_jobs) -> None:
    receiver.script("/hook", Answer(400, body={"error": "bad payload"}))
    await _down(resources, receiver, settings)
    await run_core_jobs()
    assert len(receiver.at("/hook")) == 1
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1
    assert row.last_error.startswith("The webhook answered HTTP 400")


async def test_transient_failures_stop_after_max_attempts(
    resources, settings, receiver, run_core_jobs
) -> None:
    receiver.script("/hook", *[Answer(503)] * 10)
    _, channel, _ = await _down(resources, receiver, settings)
    await run_core_jobs()
    assert len(receiver.at("/hook")) == 4
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 4
    await channel.refresh_from_db()
    assert channel.enabled  # transient trouble never disables a channel


async def test_repeated_permanent_failures_disable_channel_and_mail_owners(
    resources, settings, receiver, mailbox, run_core_jobs
) -> None:
    receiver.script("/hook", *[Answer(410)] * 10)
    _, channel, target = await _down(resources, receiver, settings)
    await run_core_jobs()
    for status in (TargetStatus.UP, TargetStatus.DOWN):
        await transition(target, status, cause="timeout")
        await process_transitions(resources)
        await run_core_jobs()

    await channel.refresh_from_db()
    assert not channel.enabled and channel.consecutive_failures == 3
    assert "3 failed deliveries" in channel.disabled_reason
    (mail,) = mailbox.to("boss@example.test")
    assert "was disabled" in mail["Subject"] and channel.name in mail.get_content()
    assert "HTTP 410" in mail.get_content()

    # Later alerts no longer go to the disabled channel
    await transition(target, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    assert len(receiver.at("/hook")) == 3
    assert await Notification.all().count() == 3


async def test_provider_error_never_echoes_secrets(
    resources, settings, receiver, run_core_jobs
) -> None:
    from tests.factories.channels import PD_KEY

    receiver.script(
        "/pagerduty", Answer(400, body={"status": "invalid event", "message": f"bad key {PD_KEY}"})
    )
    await _down(
        resources, receiver, settings, kind=ChannelKind.PAGERDUTY, config={"routingKey": PD_KEY}
    )
    await run_core_jobs()
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.FAILED
    assert PD_KEY not in row.last_error and "********" in row.last_error
