"""HEARTBEAT targets that stopped pinging: marked DOWN by the scheduler's leader.

The targets domain records pings and marks late ones (`api.targets.pings.mark_overdue`);
the query below is the fallback when that module is absent.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from api.core import clock
from api.db import module_exists
from api.targets.models import CheckResult, CheckStatus, Target, TargetKind, TargetStatus
from api.targets.state import Verdict, _publish, transition


def heartbeat_deadline(target: Target) -> datetime:
    config = target.config if isinstance(target.config, dict) else {}
    grace = float(config.get("graceSeconds") or 0)
    last = target.last_heartbeat_at or target.created_at
    return last + timedelta(seconds=target.interval_seconds + grace)


async def overdue_heartbeats(now: datetime) -> list[Target]:
    if module_exists("api.targets.service"):
        service = importlib.import_module("api.targets.service")
        if hasattr(service, "overdue_heartbeats"):
            return list(await service.overdue_heartbeats(now))
    candidates = await Target.filter(kind=TargetKind.HEARTBEAT, paused=False).exclude(
        status=TargetStatus.DOWN
    )
    return [t for t in candidates if heartbeat_deadline(t) < now]


async def mark_overdue_heartbeats(resources: Any) -> int:
    now = clock.now()
    if module_exists("api.targets.pings"):
        pings = importlib.import_module("api.targets.pings")
        if hasattr(pings, "mark_overdue"):  # the targets domain owns pings and lateness
            return int(await pings.mark_overdue(resources, now))
    marked = 0
    for target in await overdue_heartbeats(now):
        if target.paused or target.status == TargetStatus.DOWN:
            continue
        deadline = heartbeat_deadline(target)
        cause = f"HEARTBEAT_MISSED: no ping since {deadline.isoformat()}"
        result = {
            "check_id": f"{target.id}:heartbeat:{int(deadline.timestamp() * 1000)}",
            "target_id": target.id,
            "region": "heartbeat",
            "checked_at": now.isoformat(),
            "status": CheckStatus.DOWN.value,
            "error": cause,
        }
        async with in_transaction():
            await CheckResult.bulk_create(
                [
                    CheckResult(
                        check_id=result["check_id"],
                        target_id=target.id,
                        region="heartbeat",
                        checked_at=now,
                        status=CheckStatus.DOWN,
                        error=cause,
                    )
                ],
                ignore_conflicts=True,
            )
            row = await transition(target, Verdict(TargetStatus.DOWN, ["heartbeat"], cause))
        await _publish(resources, {target.id: target}, [result], [row])
        marked += 1
    if marked:
        from workers.jobs.ingest import after_transitions

        await after_transitions(resources)
    return marked
