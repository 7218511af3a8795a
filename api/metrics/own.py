"""Hitflow's own metrics, for operators: one registry per process, served on a separate
listener when `--metrics-port` is given (never on the public API port).

The metric objects live in REGISTRY (not prometheus_client's global one, which the
per-workspace endpoint must never mix in). Recording is cheap and always on; only the
listener is optional.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from api.core.logging import get_logger
from api.targets.probe_contract import RESULTS_STREAM

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
CHECKS = Counter(
    "hitflow_checks",
    "Checks done by this probe process, by region and result status.",
    ["region", "status"],
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


async def sample_streams(redis: Any, group: str, every: float = 5.0) -> None:
    """Refresh the results-stream gauges (the ingest lag) every `every` seconds."""
    while True:
        try:
            STREAM_LENGTH.set(await redis.xlen(RESULTS_STREAM))
            info = await redis.xpending(RESULTS_STREAM, group)
            STREAM_PENDING.set(int(info.get("pending", 0)) if isinstance(info, dict) else 0)
        except Exception as exc:  # no stream or group yet: keep sampling
            log.debug("metrics_stream_sample_failed", error=type(exc).__name__)
        await asyncio.sleep(every)
