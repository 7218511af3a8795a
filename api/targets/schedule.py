"""The scheduler's due-set in Redis: the API and services tell it about target changes.

Contract (used by the targets service; the scheduler in workers/jobs/scheduler.py
consumes it):
- `schedule_target(redis, target)`: (re)insert an active target; a new one is spread
  over min(interval, 60) s so targets created together do not fire together; an
  updated one keeps its slot (its new spec is used from the next tick on).
- `unschedule_target(redis, target_id)`: remove a paused/deleted target.
- `schedule_targets(redis, targets)`: the same for a page of targets, in one pipeline.
The scheduler rebuilds the due-set from the database when it becomes leader, in the
background and page by page, while it ticks from the due-set Redis already holds.

Keys: DUE_KEY (sorted set id -> next due epoch seconds), SPECS_KEY (hash id -> wire spec
JSON, secrets encrypted), INTERVALS_KEY (hash id -> seconds), ROUTES_KEY (hash id -> the
spec's regions, `route(spec)`: the scheduler routes a check by it and hands the spec JSON
to the probe as it is, without parsing it; a spec written before routes existed has none,
and the scheduler then reads its regions from the spec).
"""

from __future__ import annotations

import json
import random
from typing import Any

from arq.connections import ArqRedis

from api.core import clock
from api.targets.models import Target, TargetKind
from api.targets.probe_contract import build_spec

DUE_KEY = "hitflow:sched:due"
SPECS_KEY = "hitflow:sched:specs"
INTERVALS_KEY = "hitflow:sched:intervals"
ROUTES_KEY = "hitflow:sched:routes"
EVERY_REGION = "*"  # the route of a spec that names no region: every configured one

# Kinds the scheduler sends to probes (HEARTBEAT is inbound: pings come to the API).
PROBED_KINDS = frozenset(TargetKind) - {TargetKind.HEARTBEAT}


def route(spec: dict[str, Any]) -> str:
    """The spec's regions, comma-separated, or EVERY_REGION when it names none."""
    return ",".join(spec.get("regions") or []) or EVERY_REGION


def is_schedulable(target: Target) -> bool:
    return not target.paused and target.kind in PROBED_KINDS


async def schedule_target(redis: ArqRedis, target: Target, *, spread: bool = True) -> None:
    if not is_schedulable(target):
        await unschedule_target(redis, target.id)
        return
    target_id = str(target.id)
    interval = int(target.interval_seconds)
    now = clock.now().timestamp()
    current = await redis.zscore(DUE_KEY, target_id)
    if current is None or current > now + interval:
        offset = random.uniform(0, min(interval, 60)) if spread else 0.0
        score: float | None = round(now + offset, 3)
    else:
        score = None  # keep its slot: no burst, no gap
    spec = build_spec(target)
    pipe = redis.pipeline(transaction=True)
    pipe.hset(SPECS_KEY, target_id, json.dumps(spec, separators=(",", ":")))
    pipe.hset(INTERVALS_KEY, target_id, str(interval))
    pipe.hset(ROUTES_KEY, target_id, route(spec))
    if score is not None:
        pipe.zadd(DUE_KEY, {target_id: score})
    await pipe.execute()


async def schedule_targets(redis: ArqRedis, targets: list[Target]) -> None:
    """`schedule_target` for many targets in three round trips (ZMSCORE, then one
    pipeline): the scheduler's rebuild, page by page. Unschedulable ones are removed."""
    if not targets:
        return
    now = clock.now().timestamp()
    ids = [str(t.id) for t in targets]
    current = await redis.zmscore(DUE_KEY, ids)
    specs: dict[str, str] = {}
    intervals: dict[str, str] = {}
    routes: dict[str, str] = {}
    slots: dict[str, float] = {}
    gone: list[str] = []
    for target, target_id, score in zip(targets, ids, current, strict=True):
        if not is_schedulable(target):
            gone.append(target_id)
            continue
        interval = int(target.interval_seconds)
        spec = build_spec(target)
        specs[target_id] = json.dumps(spec, separators=(",", ":"))
        intervals[target_id] = str(interval)
        routes[target_id] = route(spec)
        if score is None or score > now + interval:
            slots[target_id] = round(now + random.uniform(0, min(interval, 60)), 3)
    pipe = redis.pipeline(transaction=True)
    if specs:
        pipe.hset(SPECS_KEY, mapping=specs)
        pipe.hset(INTERVALS_KEY, mapping=intervals)
        pipe.hset(ROUTES_KEY, mapping=routes)
    if slots:
        pipe.zadd(DUE_KEY, slots)
    if gone:
        pipe.zrem(DUE_KEY, *gone)
        pipe.hdel(SPECS_KEY, *gone)
        pipe.hdel(INTERVALS_KEY, *gone)
        pipe.hdel(ROUTES_KEY, *gone)
    await pipe.execute()


async def unschedule_target(redis: ArqRedis, target_id: int) -> None:
    pipe = redis.pipeline(transaction=True)
    pipe.zrem(DUE_KEY, str(target_id))
    pipe.hdel(SPECS_KEY, str(target_id))
    pipe.hdel(INTERVALS_KEY, str(target_id))
    pipe.hdel(ROUTES_KEY, str(target_id))
    await pipe.execute()
