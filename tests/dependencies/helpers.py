"""A small world for the dependency tests: targets A (upstream), B and C (depending on
A), one webhook channel at the local receiver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from api.core import clock
from api.incidents.models import Incident
from api.incidents.service import notify_after_maintenance, process_transitions
from api.notifications.models import AlertChannel, ChannelKind, Notification
from api.targets import dependencies
from api.targets.models import Target, TargetStatus
from tests.factories.accounts import Account, create_account, owner_principal
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.targets import create_target


@dataclass
class World:
    account: Account
    channel: AlertChannel
    a: Target
    b: Target
    c: Target


async def world(resources: Any, settings: Any, receiver: Any) -> World:
    account = await create_account(settings)
    channel = await create_channel(
        resources,
        account,
        ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )
    a, b, c = [
        await create_target(
            account.workspace, name=name, channels=[channel], status=TargetStatus.UP
        )
        for name in ("A", "B", "C")
    ]
    for dependent in (b, c):
        await dependencies.set_dependencies(
            owner_principal(account), dependent.id, [dependencies.Ref("Target", a.id)]
        )
    return World(account, channel, a, b, c)


async def settle(resources: Any, seconds: float = 2.0) -> int:
    """Let the settle window pass (test clock) and run the held-incident pass."""
    clock.advance(timedelta(seconds=seconds))
    return await notify_after_maintenance(resources)


async def incident_of(target: Target) -> Incident:
    return await Incident.filter(target_id=target.id).order_by("-id").first()  # type: ignore[return-value]


async def deliveries(target: Target) -> list[tuple[str, str]]:
    rows = await Notification.filter(target_id=target.id).order_by("id")
    return [(r.kind, r.status.value) for r in rows]


__all__ = ["process_transitions", "settle", "world"]
