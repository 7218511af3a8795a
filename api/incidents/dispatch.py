"""How a state change reaches alerting: the core worker's job, enqueued by name.

Whoever records StateTransition rows (ingest, heartbeat pings and lateness, pause and
resume) calls `dispatch_transitions` after the commit; the job
(`api.incidents.service.process_transitions`, registered in workers/registry.py) claims
every unprocessed row, so one job handles any number of transitions. Jobs run the pass
through `one_pass_at_a_time`: never two passes at once, and a request made while one
runs makes it go round once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from arq.connections import ArqRedis

from api.core.logging import get_logger
from api.resources import CORE_QUEUE

log = get_logger(__name__)

PROCESS_TRANSITIONS = "process_transitions"  # the job's name in workers/registry.py
NOTIFY_HELD = "notify_held_incidents"  # ditto: alerts incidents whose hold has ended

# One alerting pass at a time (see `one_pass_at_a_time`).
PASS_LOCK = "hitflow:alerting:pass"
PASS_AGAIN = "hitflow:alerting:pass:again"
PASS_LOCK_MS = 60_000
# Take the lock, or leave word for its holder that another pass is wanted (atomic, so a
# request is never lost between the holder's last look at the flag and its release).
_ENTER = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
redis.call('set', KEYS[2], '1', 'PX', ARGV[2])
return 0
"""
# The holder at the end of a pass: 1 = a pass was requested meanwhile (lock kept, run
# again), 0 = released, -1 = the lock is no longer ours (expired).
_LEAVE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('del', KEYS[2]) == 1 then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
redis.call('del', KEYS[1])
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


async def one_pass_at_a_time(
    redis: Any, work: Callable[[], Awaitable[int]], *, lock_ms: int = PASS_LOCK_MS
) -> int:
    """Run `work` (an alerting pass) unless one already runs anywhere; return what it did.

    A request made while a pass runs does not start a second pass (overlapping passes
    each scanned the same unclaimed transitions: at bench start 2,000 PENDING->UP
    transitions cost 22.6 ms CPU each with overlapping passes, ~3.3 ms with one): it sets
    the "again" flag, and the running pass runs once more when it ends, so every
    transition committed before a request is seen by a pass that starts after it. The
    lock is renewed while the pass runs and expires if its worker dies; then the next
    request (or the every-minute tick) runs the pass.
    """
    token = secrets.token_hex(8)
    keys, args = [PASS_LOCK, PASS_AGAIN], [token, lock_ms]
    if not await redis.eval(_ENTER, 2, *keys, *args):
        return 0

    async def renew() -> None:
        while True:
            await asyncio.sleep(lock_ms / 3000)
            with contextlib.suppress(Exception):  # Redis away: the lock expires, that is all
                await redis.eval(_RENEW, 1, PASS_LOCK, token, lock_ms)

    renewer = asyncio.create_task(renew())
    handled = 0
    try:
        while True:
            handled += await work()
            outcome = int(await redis.eval(_LEAVE, 2, *keys, *args))
            if outcome == 1:
                continue  # requested while we ran: once more
            if outcome == -1:
                # Our lock expired (a very long pass): take it again or leave word for
                # whoever has it, like any request.
                log.warning("alerting_pass_lock_lost")
                if await redis.eval(_ENTER, 2, *keys, *args):
                    continue
            return handled
    except BaseException:
        # The pass failed: free the lock (the flag stays, so the next pass runs once
        # more); the job's retry or the minute tick runs what is left.
        with contextlib.suppress(Exception):
            await redis.eval(_RELEASE, 1, PASS_LOCK, token)
        raise
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


async def dispatch_transitions(redis: ArqRedis) -> None:
    """Enqueue the alerting job, at most ten times per wall-clock second, so a burst of
    transitions never stalls ingestion; a Redis error is logged, never raised.

    The id only coalesces jobs still queued or running (the job keeps no result, see
    workers/registry.py, and claims until nothing is left): a transition committed after
    a job of the same id finished gets a new job, not the minute tick.
    """
    # time.time(), not the test clock: the job id only coalesces bursts in real time.
    job_id = f"{PROCESS_TRANSITIONS}:{int(time.time() * 10)}"
    try:
        await redis.enqueue_job(PROCESS_TRANSITIONS, _queue_name=CORE_QUEUE, _job_id=job_id)
    except Exception as exc:  # alerting trouble must not stop ingestion or a ping
        log.error("process_transitions_failed", error=repr(exc))


async def settle_later(redis: ArqRedis, incident_id: int, seconds: float) -> None:
    """Run the held-incident pass when this incident's settle window ends (the
    every-minute alerting tick is the fallback if Redis loses the job)."""
    try:
        await redis.enqueue_job(
            NOTIFY_HELD,
            _queue_name=CORE_QUEUE,
            _job_id=f"{NOTIFY_HELD}:{incident_id}",
            _defer_by=seconds + 0.2,
        )
    except Exception as exc:  # the tick catches up; alerting must not fail here
        log.error("settle_later_failed", incident_id=incident_id, error=repr(exc))
