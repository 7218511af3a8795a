"""The Starlette application factory.

The caller (the CLI, `hitflow up`, or the tests) opens the database and Redis and
passes the resources in; the lifespan only starts the per-process services (the
live-event relay) and stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from tortoise import connections

from api.badges import routes as badge_routes
from api.billing import routes as billing_routes
from api.core import tracing
from api.core.logging import get_logger
from api.graphql.endpoint import HitflowGraphQL
from api.http import devpages
from api.http.middleware import (
    BodyLimitMiddleware,
    GraphQLContentTypeGuard,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from api.live import relay
from api.metrics import routes as metrics_routes
from api.metrics.own import HTTPMetricsMiddleware
from api.oauth import routes as oauth_routes
from api.privacy import routes as privacy_routes
from api.resources import Resources
from api.results import report_export
from api.schema import build_schema
from api.statuspages import routes as statuspages_routes
from api.statuspages import subscriber_routes as statuspages_subscriber_routes
from api.targets import heartbeat

log = get_logger(__name__)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


READY_TIMEOUT = 2.0  # a dependency that does not answer within this is "not ready"


async def readyz(request: Request) -> JSONResponse:
    """503 while the database or Redis does not answer (a load balancer stops routing
    here); 200 again as soon as both do: the clients reconnect by themselves."""
    resources: Resources = request.app.state.resources
    checks: dict[str, str] = {}
    try:
        query = connections.get("default").execute_query("SELECT 1")
        await asyncio.wait_for(query, READY_TIMEOUT)
        checks["database"] = "ok"
    except Exception as exc:  # readiness must report, never raise
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.wait_for(resources.redis.ping(), READY_TIMEOUT)
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", **checks},
        status_code=200 if ready else 503,
    )


def create_app(resources: Resources, *, start_services: bool = True) -> Starlette:
    settings = resources.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        live = await relay.start(app, resources) if start_services else None
        try:
            yield
        finally:
            if live is not None:
                await live.stop()

    graphql_app = HitflowGraphQL(build_schema(settings), resources)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),
        *heartbeat.routes(resources),
        *oauth_routes.routes(resources),
        *privacy_routes.routes(resources),
        *report_export.routes(resources),
        *billing_routes.routes(resources),
        *metrics_routes.routes(resources),
        *badge_routes.routes(resources),
        *statuspages_routes.routes(resources),
        *statuspages_subscriber_routes.routes(resources),
        *devpages.routes(resources),
    ]
    middleware = [
        Middleware(HTTPMetricsMiddleware),
        Middleware(RequestContextMiddleware),
        Middleware(SecurityHeadersMiddleware, https=settings.public_url.startswith("https://")),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=settings.cors_allow_headers,
            expose_headers=["x-request-id", "retry-after", "ratelimit", "ratelimit-policy"],
            max_age=600,
        ),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(GraphQLContentTypeGuard),
    ]
    if tracing.enabled():
        middleware.insert(0, Middleware(tracing.TracingMiddleware))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.resources = resources
    app.state.graphql = graphql_app
    return app
