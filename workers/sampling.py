"""Backlog gauges of Hitflow's own metrics (api/metrics/own.py), sampled by the process
that runs the core worker when `--metrics-port` is given: the results stream (ingest lag)
and the depth of every arq queue (core and one per region)."""

from __future__ import annotations

import asyncio
from typing import Any

from api.core.logging import get_logger
from api.metrics.own import sample_queues, set_stream_stats
from api.resources import CORE_QUEUE, probe_queue
from workers.jobs.ingest import stream_stats

log = get_logger(__name__)
SAMPLE_EVERY = 5.0


def queues(settings: Any) -> list[str]:
    return [CORE_QUEUE, *(probe_queue(region) for region in settings.regions)]


async def sample_once(resources: Any) -> None:
    set_stream_stats(await stream_stats(resources.redis))
    await sample_queues(resources.redis, queues(resources.settings))


async def sample_backlog(resources: Any, every: float = SAMPLE_EVERY) -> None:
    """Refresh the backlog gauges every `every` seconds, through Redis outages."""
    failing = False
    while True:
        try:
            await sample_once(resources)
            failing = False
        except Exception as exc:  # Redis away: keep the last values, log once per outage
            if not failing:
                failing = True
                log.warning("metrics_backlog_sample_failed", error=type(exc).__name__)
        await asyncio.sleep(every)
