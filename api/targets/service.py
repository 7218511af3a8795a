"""Target rules: scoping, create / update / delete / pause / resume.

Every read of targets starts from `visible_to(principal)`; writes also need a writer
role in the target's workspace (a VIEWER gets Forbidden, a stranger NotFound).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.auth.principal import Principal
from api.billing import limits
from api.billing.plans import Limit
from api.core import clock
from api.core.errors import FieldErrors, Forbidden, Invalid, NotFound
from api.core.logging import get_logger
from api.core.tokens import HEARTBEAT_PREFIX, hash_token, new_token
from api.events import publish
from api.incidents.dispatch import dispatch_transitions
from api.notifications.policy import parse_policy
from api.privacy.deletion import workspace_locked
from api.resources import Resources
from api.settings import Settings
from api.targets import schedule
from api.targets.models import Target, TargetKind, TargetRegionState, TargetStatus
from api.targets.secrets import decrypt_secrets, encrypt_secrets, split_secrets
from api.targets.state import Verdict, transition
from api.targets.validation import (
    check_destination,
    check_name,
    check_regions,
    check_timing,
    default_timeout,
    parse_config,
)

log = get_logger(__name__)

_UNSET: Any = object()


def visible_to(principal: Principal) -> QuerySet[Target]:
    """The targets of the workspaces the principal belongs to (the only way to read them)."""
    return Target.filter(workspace_id__in=principal.workspace_ids)


async def get_visible(principal: Principal, target_id: int) -> Target | None:
    return await visible_to(principal).get_or_none(id=target_id)


async def _writable(principal: Principal, target_id: int) -> Target:
    target = await get_visible(principal, target_id)
    if target is None:
        raise NotFound("No target with this id.", field="id")
    _require_writer(principal, target.workspace_id)
    return target


def _require_writer(principal: Principal, workspace_id: int) -> None:
    if not principal.can_write(workspace_id):
        raise Forbidden("Your role in this workspace cannot change targets.", role="VIEWER")


def workspace_targets(
    principal: Principal,
    workspace_id: int,
    *,
    status: str | None = None,
    search: str | None = None,
) -> QuerySet[Target]:
    query = visible_to(principal).filter(workspace_id=workspace_id)
    if status is not None:
        query = query.filter(status=status)
    if search:
        query = query.filter(name__icontains=search.strip()[:200])
    return query


# --- policy ---------------------------------------------------------------------------


async def _policy(workspace_id: int, raw: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if raw is None else await parse_policy(workspace_id, raw)


# --- heartbeat tokens -------------------------------------------------------------------


def heartbeat_url(settings: Settings, keyring: Any, target: Any) -> str | None:
    blob = getattr(target, "heartbeat_token_encrypted", None)
    if target.kind != TargetKind.HEARTBEAT or not blob:
        return None
    return f"{settings.public_url}/heartbeat/{keyring.decrypt(blob)}"


def heartbeat_deadline(target: Target, last_ping: datetime) -> datetime:
    grace = int((target.config or {}).get("graceSeconds", 0))
    return last_ping + timedelta(seconds=target.interval_seconds + grace)


def _new_heartbeat_token(resources: Resources) -> tuple[str, str]:
    token = new_token(HEARTBEAT_PREFIX)
    return hash_token(token), resources.keyring.encrypt(token)


# --- create / update ----------------------------------------------------------------------


@dataclass
class TargetChanges:
    """A TargetPatch: only the keys that were sent."""

    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = _UNSET) -> Any:
        return self.values.get(key, default)


async def create_target(
    resources: Resources,
    principal: Principal,
    *,
    workspace_id: int,
    name: str,
    kind: TargetKind,
    config: Any,
    interval_seconds: int = 60,
    timeout_seconds: float | None = None,
    regions: list[str] | None = None,
    alert_policy: dict[str, Any] | None = None,
) -> Target:
    settings = resources.settings
    principal.check_two_factor(workspace_id)
    if not principal.can_read(workspace_id):
        raise NotFound("No workspace with this id.", field="workspaceId")
    _require_writer(principal, workspace_id)
    await _refuse_if_locked(workspace_id)
    # Every field's error at once (a form shows them all), then the rules that need all.
    errors = FieldErrors()
    name = errors.check(check_name, name)
    if timeout_seconds is None:
        timeout_seconds = default_timeout(interval_seconds)
    errors.check(check_timing, settings, interval_seconds, timeout_seconds)
    codes = [] if kind == TargetKind.HEARTBEAT else errors.check(check_regions, settings, regions)
    parsed = errors.check(_checked_config, settings, kind, config)
    policy = await errors.check_async(_policy(workspace_id, alert_policy))
    errors.raise_any()
    if regions is None:  # the default: every served region the plan allows
        codes = await limits.default_regions(settings, workspace_id, codes)
    public, secrets = split_secrets(parsed)
    token_hash, token_blob = (
        _new_heartbeat_token(resources) if kind == TargetKind.HEARTBEAT else (None, None)
    )
    now = clock.now()
    target = Target(
        workspace_id=workspace_id,
        name=name,
        kind=kind,
        config=public,
        secrets_encrypted=encrypt_secrets(resources.keyring, secrets),
        interval_seconds=interval_seconds,
        timeout_seconds=float(timeout_seconds),
        regions=codes,
        alert_policy=policy,
        status=TargetStatus.PENDING,
        status_changed_at=now,
        heartbeat_token_hash=token_hash,
        heartbeat_token_encrypted=token_blob,
    )
    if kind == TargetKind.HEARTBEAT:
        # A job that never pings is late too, one period (plus grace) after creation.
        target.heartbeat_deadline_at = heartbeat_deadline(target, now)
    async with limits.room_for_target(
        settings, workspace_id, interval_seconds=interval_seconds, regions=len(codes)
    ):
        await target.save()
    log.info("target_created", target_id=target.id, workspace_id=workspace_id, kind=str(kind))
    await _schedule(resources, target)
    return target


def _checked_config(settings: Settings, kind: TargetKind, config: Any) -> dict[str, Any]:
    return check_destination(settings, kind, parse_config(kind, config))


async def update_target(
    resources: Resources, principal: Principal, target_id: int, changes: TargetChanges
) -> Target:
    settings = resources.settings
    async with in_transaction():
        target = await _writable(principal, target_id)
        target = await Target.select_for_update().get(id=target.id)
        updates: dict[str, Any] = {}
        errors = FieldErrors()  # every field's error at once, as in create_target
        if (name := changes.get("name")) is not _UNSET:
            updates["name"] = errors.check(check_name, name)
        interval = changes.get("interval_seconds", target.interval_seconds)
        timeout = changes.get("timeout_seconds", target.timeout_seconds)
        errors.check(check_timing, settings, interval, timeout)
        updates["interval_seconds"] = interval
        updates["timeout_seconds"] = float(timeout)
        if (
            regions := changes.get("regions")
        ) is not _UNSET and target.kind != TargetKind.HEARTBEAT:
            updates["regions"] = errors.check(check_regions, settings, regions)
        config = changes.get("config")
        parsed = (
            None
            if config is _UNSET
            else errors.check(_checked_config, settings, target.kind, config)
        )
        if (policy := changes.get("alert_policy")) is not _UNSET:
            updates["alert_policy"] = await errors.check_async(_policy(target.workspace_id, policy))
        errors.raise_any()
        if "regions" in updates or interval != target.interval_seconds:
            await limits.check_target_settings(
                settings,
                target.workspace_id,
                interval_seconds=interval,
                regions=len(updates.get("regions", target.regions)),
            )
        if parsed is not None:
            previous = decrypt_secrets(resources.keyring, target.secrets_encrypted)
            public, secrets = split_secrets(parsed, previous, target.config)
            updates["config"] = public
            updates["secrets_encrypted"] = encrypt_secrets(resources.keyring, secrets)
        for key, value in updates.items():
            setattr(target, key, value)
        if target.kind == TargetKind.HEARTBEAT and not target.paused:
            updates["heartbeat_deadline_at"] = target.heartbeat_deadline_at = heartbeat_deadline(
                target, target.last_heartbeat_at or target.created_at
            )
        await target.save(update_fields=[*updates, "updated_at"])
    log.info("target_updated", target_id=target.id, fields=sorted(updates))
    if not target.paused:
        await _schedule(resources, target)
    return target


async def delete_target(resources: Resources, principal: Principal, target_id: int) -> int:
    target = await _writable(principal, target_id)
    await schedule.unschedule_target(resources.redis, target.id)
    await target.delete()
    log.info("target_deleted", target_id=target_id)
    return target_id


# --- pause / resume and status changes ------------------------------------------------------


async def record_status(
    resources: Resources | None,
    target: Target,
    to_status: TargetStatus,
    *,
    cause: str | None = None,
    regions: list[str] | None = None,
) -> bool:
    """Change the overall status through the state machine (a StateTransition row, a
    target_status event, alerting told); False when the status is already `to_status`."""
    if target.status == to_status:
        return False
    async with in_transaction():
        row = await transition(target, Verdict(to_status, regions or [], cause))
    if resources is not None:
        await publish(
            resources.redis,
            "target_status",
            workspaceId=target.workspace_id,
            targetId=target.id,
            status=to_status.value,
            statusChangedAt=row.at.isoformat(),
        )
        await dispatch_transitions(resources.redis)
    return True


async def pause_target(resources: Resources, principal: Principal, target_id: int) -> Target:
    target = await _writable(principal, target_id)
    await schedule.unschedule_target(resources.redis, target.id)
    if not target.paused:
        await Target.filter(id=target.id).update(paused=True)
        target.paused = True
        await record_status(resources, target, TargetStatus.PAUSED, cause="Paused.")
    return target


async def resume_target(resources: Resources, principal: Principal, target_id: int) -> Target:
    target = await _writable(principal, target_id)
    await _refuse_if_locked(target.workspace_id)
    if target.paused:
        # Region states from before the pause say nothing about now: start afresh.
        await TargetRegionState.filter(target_id=target.id).delete()
        target.paused = False
        if target.kind == TargetKind.HEARTBEAT:
            target.heartbeat_deadline_at = heartbeat_deadline(target, clock.now())
        async with limits.room_for(resources.settings, target.workspace_id, Limit.TARGETS):
            await Target.filter(id=target.id).update(
                paused=False, heartbeat_deadline_at=target.heartbeat_deadline_at
            )
        await record_status(resources, target, TargetStatus.PENDING, cause="Resumed.")
    await _schedule(resources, target)
    return target


async def _refuse_if_locked(workspace_id: int) -> None:
    """A workspace whose owners are all deleting their accounts runs no checks."""
    if await workspace_locked(workspace_id):
        raise Invalid(
            "This workspace's owner is deleting their account: its checks stay stopped.",
            field="workspaceId",
        )


async def _schedule(resources: Resources, target: Target) -> None:
    # Heartbeats are not probed: api.targets.pings.mark_overdue finds the late ones.
    if target.kind == TargetKind.HEARTBEAT or target.paused:
        return
    await schedule.schedule_target(resources.redis, target)
