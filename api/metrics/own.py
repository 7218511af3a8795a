"""Hitflow's own metrics, for operators: one registry per process, served on a separate
listener when `--metrics-port` is given (never on the public API port).

The metric objects live in REGISTRY (not prometheus_client's global one, which the
per-workspace endpoint must never mix in). Recording is cheap and always on; only the
listener is optional.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from api.core import clock
from api.core.logging import get_logger

log = get_logger(__name__)
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_SECONDS = Histogram(
    "hitflow_http_request_duration_seconds",
    "HTTP request latency by route template (not the raw path).",
    ["route", "method", "status"],
    registry=REGISTRY,
)
GRAPHQL_SECONDS = Histogram(
    "hitflow_graphql_operation_duration_seconds",
    "GraphQL operation latency by operation name (never the query text).",
    ["operation", "type"],
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter(
    "hitflow_graphql_errors",
    "GraphQL errors by extensions.code (INTERNAL for masked ones).",
    ["operation", "code"],
    registry=REGISTRY,
)
MUTATION_ERRORS = Counter(
    "hitflow_mutation_errors",
    "UserErrors answered in mutation payloads, by mutation field and ErrorCode (one per field "
    "error: a form with three bad fields counts three).",
    ["mutation", "code"],
    registry=REGISTRY,
)
CHECKS = Counter(
    "hitflow_checks",
    "Checks done by this probe process, by region and result status.",
    ["region", "status"],
    registry=REGISTRY,
)
CHECKS_SCHEDULED = Counter(
    "hitflow_checks_scheduled",
    "Checks the scheduler handed to a region's probe queue.",
    ["region"],
    registry=REGISTRY,
)
CHECKS_LATE = Counter(
    "hitflow_checks_late",
    "Checks a probe did not run because they would have started too late: the batch was "
    "picked up past the stale limit (stale_batch) or the check missed its start budget or "
    "found the probe overloaded (start_budget, overloaded).",
    ["region", "reason"],
    registry=REGISTRY,
)
CHECK_START_DELAY = Histogram(
    "hitflow_check_start_delay_seconds",
    "How long after its due time a probe started a check.",
    ["region"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
INGEST_DELAY = Histogram(
    "hitflow_ingest_delay_seconds",
    "Time from a probe's hand-off of results (stream entry id) to their commit by ingest.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
STREAM_LENGTH = Gauge(
    "hitflow_results_stream_length",
    "Entries in the results stream not yet ingested and deleted (XLEN).",
    registry=REGISTRY,
)
STREAM_PENDING = Gauge(
    "hitflow_results_stream_pending",
    "Results delivered to an ingest consumer and not yet acknowledged (XPENDING).",
    registry=REGISTRY,
)
STREAM_LAG = Gauge(
    "hitflow_results_stream_lag",
    "Entries not yet delivered to any ingest consumer (consumer group lag; 0 before Redis 7).",
    registry=REGISTRY,
)
STREAM_OLDEST_PENDING = Gauge(
    "hitflow_results_stream_oldest_pending_age_seconds",
    "Age of the oldest entry delivered to an ingester and not yet committed (0: none).",
    registry=REGISTRY,
)
STREAM_CONSUMERS = Gauge(
    "hitflow_results_stream_consumers",
    "Ingest consumers known to the results stream's consumer group.",
    registry=REGISTRY,
)
QUEUE_JOBS = Gauge(
    "hitflow_queue_jobs",
    "Jobs waiting in an arq queue: ready to run now (queued) or deferred to later.",
    ["queue", "state"],
    registry=REGISTRY,
)
LIFECYCLE_RUNS = Counter(
    "hitflow_lifecycle_runs",
    "Runs of the data-lifecycle jobs (retention, purge, ...) by outcome (ok, failed).",
    ["job", "outcome"],
    registry=REGISTRY,
)
LIFECYCLE_ROWS = Counter(
    "hitflow_lifecycle_rows_deleted",
    "Rows deleted by the data-lifecycle jobs.",
    ["job"],
    registry=REGISTRY,
)
LIFECYCLE_LAST_SUCCESS = Gauge(
    "hitflow_lifecycle_last_success_timestamp_seconds",
    "Unix time of the last successful run of a data-lifecycle job in this process.",
    ["job"],
    registry=REGISTRY,
)
WEBSOCKETS = Gauge(
    "hitflow_websocket_connections",
    "Open live-update websocket connections on this API process.",
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "hitflow_notification_deliveries",
    "Notification delivery attempts by channel kind and outcome (sent, retry, failed).",
    ["kind", "outcome"],
    registry=REGISTRY,
)


def serve(host: str, port: int) -> None:
    """Start the metrics listener in a daemon thread (prometheus_client's own server)."""
    start_http_server(port, addr=host, registry=REGISTRY)
    log.info("metrics_listening", url=f"http://{host}:{port}/metrics")


def route_of(scope: dict[str, Any]) -> str:
    """The matched route's template (`/badge/{token}/status.svg`), so that tokens and ids
    in paths never become label values; "unmatched" for a 404 on no route."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class HTTPMetricsMiddleware:
    """Times each HTTP request (websockets are counted by the live relay instead)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_SECONDS.labels(route_of(scope), scope.get("method", ""), str(status)).observe(
                time.perf_counter() - started
            )


def late_reason(error: str) -> str:
    """The label of a skipped check's reason (workers/probes/load.py writes the text)."""
    return "start_budget" if "after its due time" in error else "overloaded"


@contextlib.contextmanager
def lifecycle_run(job: str) -> Iterator[Any]:
    """Count one run of a data-lifecycle job; `record(rows)` adds the rows it deleted."""

    def record(rows: int) -> None:
        LIFECYCLE_ROWS.labels(job).inc(rows)

    try:
        yield record
    except BaseException:
        LIFECYCLE_RUNS.labels(job, "failed").inc()
        raise
    LIFECYCLE_RUNS.labels(job, "ok").inc()
    LIFECYCLE_LAST_SUCCESS.labels(job).set(clock.now().timestamp())


def set_stream_stats(stats: dict[str, Any]) -> None:
    """The results-stream gauges from `stream_stats` (workers/jobs/ingest.py)."""
    STREAM_LENGTH.set(stats["length"])
    STREAM_PENDING.set(stats["pending"])
    STREAM_CONSUMERS.set(stats["consumers"])
    STREAM_OLDEST_PENDING.set(stats["oldest_pending_age_s"] or 0.0)
    if stats["lag"] is not None:
        STREAM_LAG.set(stats["lag"])


async def sample_queues(redis: Any, queues: list[str]) -> None:
    """Queue depths: an arq queue is a sorted set of job ids scored by run time (ms)."""
    now_ms = int(time.time() * 1000)  # arq scores with the wall clock, not api.core.clock
    pipe = redis.pipeline(transaction=False)
    for queue in queues:
        pipe.zcount(queue, "-inf", now_ms)
        pipe.zcount(queue, f"({now_ms}", "+inf")
    counts = await pipe.execute()
    for i, queue in enumerate(queues):
        QUEUE_JOBS.labels(queue, "queued").set(counts[2 * i])
        QUEUE_JOBS.labels(queue, "deferred").set(counts[2 * i + 1])
