"""The /graphql endpoint: strawberry's ASGI app with our authentication and context."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from api.auth.principal import ANONYMOUS, Principal
from api.auth.resolve import SESSION_COOKIE, resolve_token
from api.core.errors import Unauthenticated
from api.graphql.context import Context
from api.resources import Resources


def bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


class HitflowGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: Any, resources: Resources) -> None:
        settings = resources.settings
        super().__init__(
            schema,
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
            keep_alive=True,
            keep_alive_interval=15,
            connection_init_wait_timeout=timedelta(seconds=10),
            allowed_origins=settings.cors_origins,
        )
        self.resources = resources

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        except Unauthenticated as exc:
            # A bad or revoked bearer token: 401 with a GraphQL-shaped body (RFC 6750).
            response = JSONResponse(
                {"data": None, "errors": [{"message": exc.message, "extensions": exc.extensions}]},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            await response(scope, receive, send)

    async def _principal(self, request: Request | WebSocket, token: str | None) -> Principal:
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = await resolve_token(token or cookie, self.resources.settings)
        if principal is None:
            if token is None and cookie is not None:
                # A stale cookie is just "logged out"; a bad bearer token is an error.
                return ANONYMOUS
            raise Unauthenticated("Invalid or revoked token.")
        return principal

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        request_id = request.scope.get("state", {}).get("request_id", "")
        token = bearer(request.headers.get("authorization"))
        if request.scope["type"] == "websocket":
            # Authenticated in on_ws_connect, once the connection_init payload is known.
            principal = ANONYMOUS
        else:
            principal = await self._principal(request, token)
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            resources=self.resources,
            principal=principal,
            request_id=request_id,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer(raw) if isinstance(raw, str) else None
        if token is None:
            token = bearer(context.request.headers.get("authorization"))
        try:
            context.principal = await self._principal(context.request, token)
        except Unauthenticated:
            raise ConnectionRejectionError({"reason": "Invalid or revoked token."}) from None
        return None
