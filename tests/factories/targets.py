"""Targets and their state transitions, as rows in the database."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from api.core import clock
from api.targets.models import StateTransition, Target, TargetKind, TargetStatus
from api.targets.schedule import schedule_target

if TYPE_CHECKING:
    from arq.connections import ArqRedis

    from api.core.crypto import KeyRing
    from api.notifications.models import AlertChannel
    from api.workspaces.models import Workspace


async def create_target(
    workspace: Workspace | int,
    *,
    name: str = "Shop front",
    kind: TargetKind | str = TargetKind.HTTP,
    url: str = "https://shop.example.test/",
    config: dict[str, Any] | None = None,
    interval: int = 60,
    timeout: float = 10.0,
    regions: list[str] | None = None,
    status: TargetStatus | str = TargetStatus.PENDING,
    alert_policy: dict[str, Any] | None = None,
    channels: list[AlertChannel] | None = None,
    secrets: dict[str, Any] | None = None,
    keyring: KeyRing | None = None,
    schedule: ArqRedis | None = None,
    **fields: Any,
) -> Target:
    """A target row (a workspace or its id).

    `config` defaults to `{"url": url}`; `regions` to two of the three test regions, and
    `[]` means every served region. `channels` alerts them on DOWN, UP and DEGRADED after
    one failure (`alert_policy` entries override). `secrets` are encrypted with `keyring`.
    `schedule` puts the target in that Redis's due set, due now.
    """
    if channels is not None:
        alert_policy = {
            "channelIds": [c.id for c in channels],
            "notifyOn": ["DOWN", "UP", "DEGRADED"],
            "retries": 1,
            **(alert_policy or {}),
        }
    if secrets is not None:
        assert keyring is not None, "secrets need the keyring that encrypts them"
        fields["secrets_encrypted"] = keyring.encrypt_json(secrets)
    owner = {"workspace_id": workspace} if isinstance(workspace, int) else {"workspace": workspace}
    target = await Target.create(
        **owner,
        name=name,
        kind=kind,
        config=config if config is not None else {"url": url},
        interval_seconds=interval,
        timeout_seconds=timeout,
        regions=regions if regions is not None else ["eu-west", "us-east"],
        status=status,
        alert_policy=alert_policy,
        **fields,
    )
    if schedule is not None:
        await schedule_target(schedule, target, spread=False)
    return target


async def transition(
    target: Target,
    to: TargetStatus,
    *,
    cause: str | None = None,
    regions: list[str] | None = None,
    at: datetime | None = None,
    from_status: TargetStatus | None = None,
) -> StateTransition:
    """Move the target to `to` and record the transition, as the ingest would."""
    previous = from_status or target.status
    target.status = to
    await Target.filter(id=target.id).update(status=to)
    return await StateTransition.create(
        target=target,
        from_status=previous,
        to_status=to,
        at=at or clock.now(),
        regions=regions if regions is not None else ["eu-west", "us-east"],
        cause=cause,
    )
