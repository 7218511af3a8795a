"""The scheduler: one leader (Redis lock with TTL renewal) ticking every 200 ms.

A tick touches Redis only (the due-set and the specs live there): the database work -
rebuilding the due-set when leadership is taken, marking late heartbeats - runs in
side tasks, so ticks go on while the database is locked or down (on SQLite the worker's
one connection is shared with ingest, whose writes can wait for seconds).

Each tick atomically takes the due targets out of the due-set and puts them back at
due + interval (never now + interval: no drift), then enqueues ONE arq job per region
carrying every check that region has due in this tick (amortises arq's per-job cost),
with a deterministic job id so a retry never duplicates. The specs are passed through as
the JSON Redis holds them: a batch is one JSON text (`[{"due":..,"spec":{..}},..]`) put
together from them, routed by each target's stored route (api/targets/schedule.py), so
the tick neither parses a spec nor pickles it again; the probe parses the batch once.
Standby instances poll the lock and take over when it expires; the new leader ticks at
once from the due-set that survives in Redis and rebuilds it from the database (active,
non-paused targets, keeping the slots already there) in a side task, page by page.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from api.core import clock
from api.core.logging import get_logger
from api.metrics.own import CHECKS_SCHEDULED
from api.resources import probe_queue
from api.targets.models import Target
from api.targets.pings import mark_overdue
from api.targets.schedule import (
    DUE_KEY,
    EVERY_REGION,
    INTERVALS_KEY,
    PROBED_KINDS,
    ROUTES_KEY,
    SPECS_KEY,
    schedule_targets,
)

log = get_logger(__name__)

LOCK_KEY = "hitflow:sched:lock"
ENQUEUED_KEY = "hitflow:sched:enqueued"  # a counter of checks handed to probe queues
TICK_SECONDS = 0.2
LOCK_TTL_MS = 2000  # failover (kill -9 of the leader) in about 1.5-3 s; docs/performance.md
MAX_PER_TICK = 20000
HEARTBEAT_EVERY = 5.0
REBUILD_PAGE = 500  # targets per query and Redis pipeline in a leader's rebuild
# arq drops a job not started (or re-run) within this time. It covers a start delay
# (batches first started over 30 s late are skipped by the probe: checks.STALE_AFTER),
# a whole run (registry.PROBE_JOB_TIMEOUT, 120 s) and the re-run of a batch whose probe
# died (its in-progress mark expires within 10 s), so that a killed probe's batch is
# never dropped by expiry.
JOB_EXPIRES = timedelta(seconds=180)

# Take what is due (score <= now), move each to its next slot, return id/score/spec/route
# (route '' when the target has none yet: written before routes existed).
# Slots missed while nobody scheduled are skipped rather than fired in a burst.
_TICK_LUA = """
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local out = {}
for i = 1, #due, 2 do
  local id = due[i]
  local score = tonumber(due[i + 1])
  local interval = tonumber(redis.call('HGET', KEYS[3], id))
  local spec = redis.call('HGET', KEYS[2], id)
  if (not interval) or (not spec) or interval <= 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    local nxt = score + interval
    if nxt <= now then
      nxt = score + interval * math.ceil((now - score) / interval)
      if nxt <= now then nxt = nxt + interval end
    end
    redis.call('ZADD', KEYS[1], string.format('%.3f', nxt), id)
    out[#out + 1] = id
    out[#out + 1] = string.format('%.3f', score)
    out[#out + 1] = spec
    out[#out + 1] = redis.call('HGET', KEYS[5], id) or ''
  end
end
if #out > 0 then redis.call('INCRBY', KEYS[4], #out / 4) end
return out
"""

_RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Scheduler:
    def __init__(self, resources: Any, *, tick: float = TICK_SECONDS) -> None:
        self.resources = resources
        self.redis = resources.redis
        self.tick_seconds = tick
        self.token = uuid.uuid4().hex
        self.leader = False
        self.stats = {"ticks": 0, "checks": 0, "jobs": 0}
        self._task: asyncio.Task[None] | None = None
        self._last_heartbeat = 0.0
        self._last_renew = 0.0
        self._failing = False
        self._overdue_failing = False
        self._side: dict[str, asyncio.Task[None]] = {}  # database work, off the tick path

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="hitflow-scheduler")

    async def stop(self) -> None:
        for task in [self._task, *self._side.values()]:
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._side.clear()
        if self.leader:
            with contextlib.suppress(Exception):
                await self.redis.eval(_RELEASE_LUA, 1, LOCK_KEY, self.token)
            self.leader = False

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.step()
                if self._failing:
                    self._failing = False
                    log.info("scheduler_resumed")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep scheduling through transient Redis errors
                if not self._failing:  # one line per outage, not one per attempt
                    self._failing = True
                    log.error("scheduler_step_failed", error=repr(exc))
                await asyncio.sleep(0.5)
            delay = self.tick_seconds if self.leader else 1.0
            await asyncio.sleep(max(0.0, delay - (time.monotonic() - started)))

    async def step(self) -> None:
        now = time.monotonic()
        if not self.leader:
            if await self.redis.set(LOCK_KEY, self.token, nx=True, px=LOCK_TTL_MS):
                self.leader = True
                self._last_renew = now
                log.info("scheduler_leader_acquired")
                # Ticks go on with the due-set as Redis has it while this reads the database.
                self._in_side("rebuild", self._rebuild_until_done)
            else:
                return
        elif now - self._last_renew > LOCK_TTL_MS / 3000:
            if not await self.redis.eval(_RENEW_LUA, 1, LOCK_KEY, self.token, LOCK_TTL_MS):
                self.leader = False
                log.warning("scheduler_leader_lost")
                return
            self._last_renew = now
        await self.tick()
        if now - self._last_heartbeat > HEARTBEAT_EVERY:
            self._last_heartbeat = now
            self._in_side("overdue", self._mark_overdue)

    def _in_side(self, name: str, work: Any) -> None:
        """Run `work()` in a side task unless the previous one of that name still runs."""
        running = self._side.get(name)
        if running is None or running.done():
            self._side[name] = asyncio.create_task(work(), name=f"hitflow-scheduler-{name}")

    async def _rebuild_until_done(self) -> None:
        failing = False
        while self.leader:
            try:
                await self.rebuild()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again, log once
                if not failing:
                    failing = True
                    log.error("scheduler_rebuild_failed", error=repr(exc))
                await asyncio.sleep(1)

    async def _mark_overdue(self) -> None:
        try:
            await mark_overdue(self.resources)
        except Exception as exc:  # the database is away: next time (every 5 s), log once
            if not self._overdue_failing:
                self._overdue_failing = True
                log.warning("scheduler_overdue_heartbeats_failed", error=repr(exc))
            return
        self._overdue_failing = False

    # --- work -----------------------------------------------------------------------

    async def rebuild(self) -> int:
        """Put every active, non-paused probed target in the due-set; drop the others.

        Page by page (REBUILD_PAGE targets by id: one query, one ZMSCORE, one pipeline
        each), yielding between pages, so the ticks that run meanwhile from the due-set
        already in Redis are not held up by one long read of every target."""
        keep: set[str] = set()
        last = 0
        while True:
            page = (
                await Target.filter(paused=False, kind__in=list(PROBED_KINDS), id__gt=last)
                .order_by("id")
                .limit(REBUILD_PAGE)
            )
            if not page:
                break
            last = page[-1].id
            keep.update(str(t.id) for t in page)
            await schedule_targets(self.redis, page)
            await asyncio.sleep(0)  # let a tick in
        stale = [m for m in await self.redis.zrange(DUE_KEY, 0, -1) if _s(m) not in keep]
        if stale:
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(DUE_KEY, *stale)
            pipe.hdel(SPECS_KEY, *stale)
            pipe.hdel(INTERVALS_KEY, *stale)
            pipe.hdel(ROUTES_KEY, *stale)
            await pipe.execute()
        log.info("scheduler_due_set_rebuilt", targets=len(keep), dropped=len(stale))
        return len(keep)

    async def tick(self) -> int:
        now = clock.now().timestamp()
        raw = await self.redis.eval(
            _TICK_LUA, 5, DUE_KEY, SPECS_KEY, INTERVALS_KEY, ENQUEUED_KEY, ROUTES_KEY,
            f"{now:.3f}", MAX_PER_TICK,
        )  # fmt: skip
        self.stats["ticks"] += 1
        if not raw:
            return 0
        configured = tuple(self.resources.settings.regions)
        # Per region: the checks' (target id, due ms) for the job id, and their JSON.
        keys: dict[str, list[tuple[str, int]]] = defaultdict(list)
        parts: dict[str, list[bytes]] = defaultdict(list)
        for i in range(0, len(raw), 4):
            target_id, spec = _s(raw[i]), _b(raw[i + 2])
            due_ms = round(float(raw[i + 1]) * 1000)
            check = b'{"due":%d,"spec":%s}' % (due_ms, spec)
            for region in regions_of(_b(raw[i + 3]), spec, configured):
                keys[region].append((target_id, due_ms))
                parts[region].append(check)
        count = 0
        for region, batch in keys.items():
            job = await self.redis.enqueue_job(
                "run_checks",
                region=region,
                checks=b"[" + b",".join(parts[region]) + b"]",
                _job_id=job_id_of(region, batch),
                _queue_name=probe_queue(region),
                _expires=JOB_EXPIRES,
            )
            if job is None:
                log.warning("scheduler_duplicate_batch", region=region, checks=len(batch))
            else:
                CHECKS_SCHEDULED.labels(region).inc(len(batch))
            count += len(batch)
        self.stats["checks"] += count
        self.stats["jobs"] += len(keys)
        return count


@functools.lru_cache(maxsize=1024)
def _routed(route: bytes, configured: tuple[str, ...]) -> tuple[str, ...]:
    named = () if route == EVERY_REGION.encode() else tuple(route.decode().split(","))
    return tuple(r for r in (named or configured) if r in configured) or configured


def regions_of(route: bytes, spec: bytes, configured: tuple[str, ...]) -> tuple[str, ...]:
    """The configured regions a check goes to: those its spec names (all when it names
    none, or none of them is configured), from its stored route, else from the spec."""
    if not route:  # scheduled before routes existed: read the spec (once, till rebuilt)
        named = json.loads(spec).get("regions") or []
        route = (",".join(named) or EVERY_REGION).encode()
    return _routed(route, configured)


def job_id_of(region: str, checks: list[tuple[str, int]]) -> str:
    """Deterministic from the batch's (target id, due ms) pairs: the same checks always
    get the same id (a retried enqueue is refused by arq), different checks never collide."""
    digest = hashlib.sha1(usedforsecurity=False)
    for target_id, due_ms in checks:
        digest.update(f"{target_id}@{due_ms};".encode())
    return f"checks:{region}:{checks[0][1]}:{digest.hexdigest()[:16]}"


def batch_job_id(region: str, checks: list[dict[str, Any]]) -> str:
    """`job_id_of` for a batch of wire checks (`{"spec": ..., "due": due_ms}`)."""
    return job_id_of(region, [(str(c["spec"]["targetId"]), int(c["due"])) for c in checks])


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _b(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# --- arq hooks (registry.CORE_STARTUP / CORE_SHUTDOWN) ------------------------------------


async def start_scheduler(ctx: dict[str, Any]) -> None:
    if ctx.get("burst") or "scheduler" in ctx:
        return  # a burst worker runs no loop; a restarted arq loop keeps the running one
    scheduler = Scheduler(ctx["resources"])
    ctx["scheduler"] = scheduler
    scheduler.start()


async def stop_scheduler(ctx: dict[str, Any]) -> None:
    scheduler = ctx.pop("scheduler", None)
    if scheduler is not None:
        await scheduler.stop()
