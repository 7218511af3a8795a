"""arq workers: the core worker (database, scheduler, ingest, alerts, lifecycle) and
one probe worker per region (checks only, no database)."""

from __future__ import annotations

import dataclasses
from typing import Any

from arq.worker import Worker, func

from api.core import tracing
from api.redis import redis_settings
from api.resources import CORE_QUEUE, Resources, probe_queue
from workers import registry


def _url(resources: Resources) -> str:
    kwargs = resources.redis.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
    host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
    return f"redis://{host}:{port}/{kwargs.get('db', 0)}"


def traced(jobs: list[Any]) -> list[Any]:
    """The jobs as given, or each run in a span when tracing is on (api/core/tracing.py)."""
    if not tracing.enabled():
        return jobs
    wrapped = []
    for job in jobs:
        job = job if hasattr(job, "coroutine") else func(job)
        wrapped.append(
            dataclasses.replace(job, coroutine=tracing.traced_job(job.name, job.coroutine))
        )
    return wrapped


def core_worker(resources: Resources, *, burst: bool = False, **overrides: Any) -> Worker:
    async def on_startup(ctx: dict[str, Any]) -> None:
        # Runs again each time the supervisor re-enters arq's loop after a Redis outage
        # (api/cli/process.py): the hooks start their loops only once.
        ctx["resources"] = resources
        ctx["burst"] = burst  # long-running loops (scheduler, ingest) skip burst runs
        for hook in registry.CORE_STARTUP:
            await hook(ctx)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        for hook in reversed(registry.CORE_SHUTDOWN):
            await hook(ctx)

    options: dict[str, Any] = {
        "functions": traced(registry.CORE_FUNCTIONS),
        "cron_jobs": traced(registry.CORE_CRON_JOBS),
        "queue_name": CORE_QUEUE,
        "redis_pool": resources.redis,
        "redis_settings": redis_settings(_url(resources)),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "burst": burst,
        "handle_signals": False,
        "max_jobs": 50,
        "poll_delay": 0.2,
        "keep_result": 60,
    }
    options.update(overrides)
    return Worker(**options)


def probe_worker(
    resources: Resources, region: str, *, burst: bool = False, **overrides: Any
) -> Worker:
    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = resources
        ctx["region"] = region
        for hook in registry.PROBE_STARTUP:
            await hook(ctx)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        for hook in reversed(registry.PROBE_SHUTDOWN):
            await hook(ctx)

    options: dict[str, Any] = {
        "functions": traced(registry.PROBE_FUNCTIONS or [_noop]),
        "queue_name": probe_queue(region),
        "redis_pool": resources.redis,
        "redis_settings": redis_settings(_url(resources)),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "burst": burst,
        "handle_signals": False,
        "max_jobs": 200,
        "poll_delay": 0.1,
        "keep_result": 60,
    }
    options.update(overrides)
    worker = Worker(**options)
    # arq marks a started job "in progress" for the longest job timeout + 10 s, and no
    # other worker starts it while the mark lives: a probe killed mid-batch would leave
    # its batch unstarted for 130 s, past the job's expiry. The mark lives 10 s instead and
    # the running batch renews it (workers/jobs/checks.py), so a dead probe's batch is
    # taken by the next probe of the region within ~10 s.
    worker.in_progress_timeout_s = registry.PROBE_IN_PROGRESS_SECONDS
    return worker


async def _noop(ctx: dict[str, Any]) -> None:
    """Placeholder so a probe worker can start before any probe job is registered."""
