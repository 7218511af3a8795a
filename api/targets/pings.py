"""Inbound heartbeats: a ping records a result; a late one makes the target DOWN.

The scheduler finds late heartbeats with `overdue_heartbeats(now)` (indexed on the
deadline) and marks them with `mark_overdue(resources, now)`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from api.core import clock
from api.core.logging import get_logger
from api.core.tokens import hash_token
from api.events import publish
from api.resources import Resources
from api.targets.models import CheckResult, CheckStatus, Target, TargetKind, TargetStatus
from api.targets.service import heartbeat_deadline, record_status

log = get_logger(__name__)
HEARTBEAT_REGION = "heartbeat"


async def target_for_token(token: str) -> Target | None:
    if not token.startswith("hf_hb_") or len(token) > 100:
        return None
    return await Target.get_or_none(
        heartbeat_token_hash=hash_token(token), kind=TargetKind.HEARTBEAT
    )


async def _store_result(
    resources: Resources, target: Target, status: CheckStatus, error: str | None
) -> CheckResult:
    """One heartbeat result row (a ping, a failure ping or a missed ping) and its event."""
    now = clock.now()
    result = await CheckResult.create(
        check_id=f"hb-{uuid.uuid4().hex}",
        target_id=target.id,
        region=HEARTBEAT_REGION,
        checked_at=now,
        status=status,
        error=error,
    )
    await publish(
        resources.redis,
        "check_result",
        workspaceId=target.workspace_id,
        targetId=target.id,
        result={
            "id": result.id,
            "target_id": target.id,
            "check_id": result.check_id,
            "region": HEARTBEAT_REGION,
            "checked_at": now.isoformat(),
            "status": status.value,
            "error": error,
            "in_maintenance": False,
        },
    )
    return result


async def record_ping(resources: Resources, target: Target, *, ok: bool) -> CheckResult | None:
    """Store one ping as a result and move the target UP (or DOWN for a failure ping).

    A paused target ignores pings (None).
    """
    if target.paused:
        return None
    error = None if ok else "The job reported a failure."
    result = await _store_result(
        resources, target, CheckStatus.UP if ok else CheckStatus.DOWN, error
    )
    now = result.checked_at
    deadline = heartbeat_deadline(target, now)
    await Target.filter(id=target.id).update(last_heartbeat_at=now, heartbeat_deadline_at=deadline)
    target.last_heartbeat_at, target.heartbeat_deadline_at = now, deadline
    await record_status(
        resources,
        target,
        TargetStatus.UP if ok else TargetStatus.DOWN,
        cause=error,
        regions=[HEARTBEAT_REGION],
    )
    return result


async def overdue_heartbeats(now: datetime) -> list[Target]:
    return list(
        await Target.filter(
            kind=TargetKind.HEARTBEAT,
            paused=False,
            heartbeat_deadline_at__lt=now,
            status__in=[TargetStatus.UP, TargetStatus.DEGRADED, TargetStatus.PENDING],
        ).order_by("heartbeat_deadline_at")
    )


async def mark_overdue(resources: Resources, now: datetime | None = None) -> int:
    """Make every late heartbeat DOWN (one transition each); returns how many changed."""
    now = now or clock.now()
    changed = 0
    for target in await overdue_heartbeats(now):
        late = (
            int((now - target.last_heartbeat_at).total_seconds()) if target.last_heartbeat_at else 0
        )
        cause = f"No ping for {late} s." if target.last_heartbeat_at else "No ping received yet."
        # A row for the missed ping, so lastResult and stats agree with the status.
        await _store_result(resources, target, CheckStatus.DOWN, cause)
        if await record_status(
            resources, target, TargetStatus.DOWN, cause=cause, regions=[HEARTBEAT_REGION]
        ):
            changed += 1
    return changed
