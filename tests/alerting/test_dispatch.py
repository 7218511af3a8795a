"""Alerting is triggered by name: the API enqueues the core worker's job without
importing the workers."""

from __future__ import annotations

from typing import Any

from api.incidents.dispatch import PROCESS_TRANSITIONS, dispatch_transitions
from api.resources import CORE_QUEUE
from workers.registry import CORE_FUNCTIONS


def test_the_dispatched_job_is_registered_in_the_core_worker() -> None:
    assert PROCESS_TRANSITIONS in {f.name for f in CORE_FUNCTIONS}


async def test_a_burst_of_transitions_enqueues_one_job(resources: Any) -> None:
    for _ in range(5):
        await dispatch_transitions(resources.redis)
    jobs = await resources.redis.queued_jobs(queue_name=CORE_QUEUE)
    # Two at most: the burst may straddle a wall-clock second.
    assert 1 <= len(jobs) <= 2
    assert {job.function for job in jobs} == {PROCESS_TRANSITIONS}
