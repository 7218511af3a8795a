"""How a state change reaches alerting: the core worker's job, enqueued by name.

Whoever records StateTransition rows (ingest, heartbeat pings and lateness, pause and
resume) calls `dispatch_transitions` after the commit; the job
(`api.incidents.service.process_transitions`, registered in workers/registry.py) claims
every unprocessed row, so one job handles any number of transitions.
"""

from __future__ import annotations

import time

from arq.connections import ArqRedis

from api.core.logging import get_logger
from api.resources import CORE_QUEUE

log = get_logger(__name__)

PROCESS_TRANSITIONS = "process_transitions"  # the job's name in workers/registry.py
NOTIFY_HELD = "notify_held_incidents"  # ditto: alerts incidents whose hold has ended


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
