"""Optional OpenTelemetry tracing: on when OTEL_EXPORTER_OTLP_ENDPOINT is set (Settings.
otel_endpoint), off and free otherwise (nothing imported, no middleware, no wrapper).

`configure(settings, service)` installs a tracer provider exporting OTLP/HTTP protobuf
(the exporter reads the standard OTEL_* variables: endpoint, headers, timeout; the batch
processor OTEL_BSP_*), and wraps the database clients so that each statement is a span.
The API adds `TracingMiddleware` (one SERVER span per HTTP request, continuing a W3C
`traceparent`) and the GraphQL extension api/graphql/tracing.py (operation and root-field
spans); the workers wrap each job with `traced_job` (one span per job run). The
database spans are children of whatever span is current: the request's resolver, the job.

Spans carry no query text, variables, arguments or SQL values: a GraphQL operation is
named by its operation name, a database span holds the parameterised statement only.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from api.core.logging import get_logger
from api.settings import Settings

log = get_logger(__name__)

_enabled = False
# Statement methods of Tortoise's clients (each class's own definitions are wrapped).
_DB_METHODS = ("execute_insert", "execute_many", "execute_query", "execute_query_dict",
               "execute_script")  # fmt: skip
_MAX_STATEMENT = 2000


def enabled() -> bool:
    return _enabled


def span(name: str) -> contextlib.AbstractContextManager[Any]:
    """A span around a unit of work that is neither a request nor a job (an ingest
    batch); nothing when tracing is off."""
    if not _enabled:
        return contextlib.nullcontext()
    from opentelemetry import trace

    return trace.get_tracer("hitflow").start_as_current_span(name)


def configure(settings: Settings, service: str) -> bool:
    """Start exporting spans as `hitflow-<service>` if an OTLP endpoint is set."""
    global _enabled
    if not settings.otel_endpoint or _enabled:
        return _enabled
    # Imported here: without an endpoint the `otel` extra need not even be installed.
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"hitflow-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _instrument_database()
    _enabled = True
    log.info("tracing_enabled", endpoint=_safe(settings.otel_endpoint), service=service)
    return True


def shutdown() -> None:
    """Flush the spans still buffered (at process exit)."""
    if _enabled:
        from opentelemetry import trace

        provider = trace.get_tracer_provider()
        flush = getattr(provider, "shutdown", None)
        if flush is not None:
            flush()


def _safe(url: str) -> str:
    """The endpoint without credentials or query (it may carry a token)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


# --- database -------------------------------------------------------------------------


def _instrument_database() -> None:
    # Tortoise has no statement hook: its client classes' statement methods are wrapped,
    # once, only when tracing is on.
    from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
    from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper

    systems = {
        SqliteClient: "sqlite",
        SqliteTransactionWrapper: "sqlite",
        AsyncpgDBClient: "postgresql",
        TransactionWrapper: "postgresql",
    }
    for cls, system in systems.items():
        for name in _DB_METHODS:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_hitflow_traced", False):
                setattr(cls, name, _traced_statement(method, system))


def _traced_statement(method: Any, system: str) -> Any:
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    tracer = trace.get_tracer("hitflow.db")

    @functools.wraps(method)
    async def traced(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not trace.get_current_span().is_recording():
            # Only under a request, a job or an ingest batch: the scheduler's periodic
            # reads would otherwise make a root trace every few seconds.
            return await method(self, query, *args, **kwargs)
        verb = query.lstrip().split(None, 1)[0].upper() if query.strip() else "SQL"
        with tracer.start_as_current_span(f"db {verb}", kind=SpanKind.CLIENT) as span:
            span.set_attribute("db.system", system)
            span.set_attribute("db.operation", verb)
            span.set_attribute("db.statement", query[:_MAX_STATEMENT])
            return await method(self, query, *args, **kwargs)

    traced._hitflow_traced = True  # type: ignore[attr-defined]  # marks a wrapped method
    return traced


# --- HTTP (API) -------------------------------------------------------------------------


class TracingMiddleware:
    """One SERVER span per HTTP request, named by the route template (never the raw path,
    which may hold a token), continuing the caller's W3C trace context."""

    def __init__(self, app: Any) -> None:
        from opentelemetry import trace
        from opentelemetry.propagate import extract

        self.app = app
        self.tracer = trace.get_tracer("hitflow.http")
        self.extract = extract

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry.trace import SpanKind, Status, StatusCode

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope.get("method", "")
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with self.tracer.start_as_current_span(
            f"{method} http", context=self.extract(headers), kind=SpanKind.SERVER
        ) as span:
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))


# --- arq jobs (workers) -----------------------------------------------------------------


def traced_job(name: str, coroutine: Any) -> Any:
    """The arq job `coroutine` run inside a `job <name>` span (the workers wrap their
    functions and cron jobs with it when tracing is on)."""
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    tracer = trace.get_tracer("hitflow.jobs")

    @functools.wraps(coroutine)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with tracer.start_as_current_span(
            f"job {name}", kind=SpanKind.CONSUMER, record_exception=False
        ) as span:
            span.set_attribute("messaging.system", "arq")
            span.set_attribute("messaging.operation", "process")
            span.set_attribute("hitflow.job.try", int(ctx.get("job_try") or 1))
            try:
                return await coroutine(ctx, *args, **kwargs)
            except BaseException as exc:  # a Retry too: the span says why, arq decides
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    return run
