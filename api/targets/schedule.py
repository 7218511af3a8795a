"""The scheduler's due-set in Redis: the API and services tell it about target changes.

Contract (used by the targets service; implemented with the scheduler):
- `schedule_target(redis, target)`: (re)insert an active target so that it is checked
  at the next tick or spread over its first interval when new.
- `unschedule_target(redis, target_id)`: remove a paused/deleted target.
The scheduler rebuilds the due-set from the database at start.
"""

from __future__ import annotations

import random

from arq.connections import ArqRedis

from api.core import clock

DUE_KEY = "hitflow:sched:due"


async def schedule_target(redis: ArqRedis, target: object, *, spread: bool = True) -> None:
    interval = int(target.interval_seconds)  # type: ignore[attr-defined]
    offset = random.uniform(0, min(interval, 60)) if spread else 0.0
    await redis.zadd(DUE_KEY, {str(target.id): clock.now().timestamp() + offset})  # type: ignore[attr-defined]


async def unschedule_target(redis: ArqRedis, target_id: int) -> None:
    await redis.zrem(DUE_KEY, str(target_id))
