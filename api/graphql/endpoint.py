"""The /graphql endpoint: strawberry's ASGI app with our authentication and context."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLFormattedError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api.auth.principal import ANONYMOUS, Principal
from api.auth.ratelimit import enforce_operation_rate_limit
from api.auth.resolve import SESSION_COOKIE, resolve_token
from api.core.errors import RateLimited, Unauthenticated
from api.core.logging import get_logger
from api.graphql.context import Context
from api.graphql.fairgate import FairGate, GateBusy, OverBudget, caller_key
from api.http.json import StrictJSONError, strict_json
from api.http.middleware import BodyTooLarge
from api.live.fastpath import LegacyWSHandler, TransportWSHandler
from api.live.relay import CLOSE_REVOKED
from api.oauth.ratelimit import TokenRateLimited, enforce_token_rate_limit
from api.resources import Resources

log = get_logger("api.graphql")

_HTTP_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def error_response(status: int, message: str, extensions: dict[str, Any] | None) -> JSONResponse:
    """A GraphQL-shaped error body, for answers given before any resolver runs."""
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": extensions or {}}]},
        status_code=status,
    )


GRAPHQL_RESPONSE = "application/graphql-response+json"


def graphql_response_media_type(request: Request, response: Response) -> Response:
    """GraphQL over HTTP: a client that accepts application/graphql-response+json gets it,
    and with it a 4xx when the request itself failed (unparsable or invalid document, bad
    variables: no `data`, errors without a path), instead of 200."""
    if GRAPHQL_RESPONSE not in request.headers.get("accept", ""):
        return response
    if not response.headers.get("content-type", "").startswith("application/json"):
        return response  # GraphiQL, streaming
    response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
    if response.status_code == 200 and isinstance(response.body, bytes):
        try:
            body = json.loads(response.body)
        except ValueError:
            return response
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors and body.get("data") is None and not any("path" in e for e in errors):
            response.status_code = 400
            # A request error has no `data` entry at all (GraphQL over HTTP, 6.4.2).
            if "data" in body:
                del body["data"]
                response.body = json.dumps(body, separators=(",", ":")).encode()
                response.headers["content-length"] = str(len(response.body))
    return response


def bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def relay_of_scope(scope: Any) -> Any:
    """The live-event relay of the app (None when its services are not started)."""
    app = scope.get("app")
    return getattr(app.state, "live_relay", None) if app is not None else None


def cookie_token(context: Context) -> str | None:
    return context.request.cookies.get(SESSION_COOKIE)


class HitflowGraphQL(GraphQL[Context, None]):
    # Live events: one encoded payload per event, sent straight to the socket.
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

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
        # Fair turns between callers (api/graphql/fairgate.py), HTTP and websockets alike.
        self.gate = FairGate(
            settings.graphql_max_concurrent_operations,
            settings.graphql_gate_wait_seconds,
            settings.graphql_cost_budget_per_minute,
        )

    def caller_of(self, request: Request | WebSocket, credential: str | None = None) -> str:
        """The gate's key for a request: its credential, else its client address."""
        credential = credential or bearer(request.headers.get("authorization"))
        credential = credential or request.cookies.get(SESSION_COOKIE)
        return caller_key(credential, request.client.host if request.client else None)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            try:
                await super().__call__(scope, receive, send)
            finally:
                live = relay_of_scope(scope)
                if live is not None:
                    live.disconnect(scope)  # ends this socket's live subscriptions
            return
        request = Request(scope, receive=receive)
        try:
            # The body is read before taking a turn: a client sending it slowly must
            # not hold one of the gate's few slots while it trickles in.
            await request.body()
            address = caller_key(None, request.client.host if request.client else None)
            async with self.gate.turn(self.caller_of(request), address):
                response = await self.run(request)
        except HTTPException as exc:
            # Malformed JSON, a body that is not a GraphQL request, a mutation over GET...:
            # a 4xx with a GraphQL-shaped JSON body the client can show.
            code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            response = error_response(exc.status_code, exc.reason, {"code": code})
        except Unauthenticated as exc:
            # A bad or revoked bearer token: 401 with a GraphQL-shaped body (RFC 6750).
            self.gate.bad_credential(address)
            response = error_response(401, exc.message, exc.extensions)
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        except (RateLimited, GateBusy, OverBudget) as exc:
            # Per-token limit (api.oauth.ratelimit: with the token's RateLimit headers), or
            # no turn in the fair gate in time: 429 with Retry-After, GraphQL-shaped.
            response = error_response(429, exc.message, exc.extensions)
            response.headers["Retry-After"] = str(exc.retry_after)
            if isinstance(exc, TokenRateLimited):
                response.headers.update(exc.quota.headers())
        except (BodyTooLarge, ClientDisconnect):
            raise  # BodyLimitMiddleware answers 413; a gone client needs no answer
        except Exception as exc:
            # Outside a resolver (e.g. the database is down while resolving the token):
            # the same masked answer as MaskWithRequestId, with the request id.
            request_id = scope.get("state", {}).get("request_id", "")
            log.error(
                "graphql_unexpected_error", request_id=request_id, error=repr(exc), exc_info=exc
            )
            extensions = {"code": "INTERNAL", "requestId": request_id}
            response = error_response(500, "Unexpected error.", extensions)
        await graphql_response_media_type(request, response)(scope, receive, send)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with only a persisted-query hash is an operation, not a browser visit.
        return super().should_render_graphql_ide(request) and (
            "extensions" not in request.query_params
        )

    def decode_json(self, data: str | bytes) -> object:
        # HTTP bodies and websocket messages: strict JSON (no NaN/Infinity, no float that
        # overflows to inf; stored values are served back as JSON) and bounded nesting.
        return strict_json(data)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> Any:
        # As strawberry's, but a subscription over plain HTTP is a 400 naming the
        # websocket (strawberry would run it as a query and fail inside).
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                raise HTTPException(
                    400, "Subscriptions are served over a websocket (graphql-transport-ws)."
                ) from exc
            raise HTTPException(400, exc.as_http_error_reason(request_adapter.method)) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc

    def parse_json(self, data: str | bytes) -> Any:
        try:
            value = self.decode_json(data)
        except StrictJSONError as exc:
            raise HTTPException(400, f"Refused JSON: {exc.reason}.") from exc
        except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError on bad bytes
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if not isinstance(value, dict | list):
            raise HTTPException(
                400, 'Expected a JSON object such as {"query": "{ viewer { user { id } } }"}.'
            )
        return value

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
            quota = await enforce_token_rate_limit(self.resources, principal)  # or raises
            if quota is not None and isinstance(response, Response):
                response.headers.update(quota.headers())
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
        credential = token or cookie_token(context) if context.principal.authenticated else None
        context.credential = credential
        live = relay_of_scope(context.request.scope)
        if live is not None:
            # Known to the relay so that revoking the credential closes this socket.
            live.connect(context.request, context.principal, credential, context)
        return None

    async def authorize_ws_operation(self, context: Context) -> GraphQLFormattedError | None:
        """Before each operation on a websocket (query, mutation, subscription start).

        The principal is resolved again from the connection's credential (one round-trip,
        as for every HTTP request): a role change, a removal, a narrowed OAuth client or a
        revoked token applies to the very next operation. The operation then counts
        against the credential's rate budget. Returns None to run the operation, or the
        GraphQL error refusing it; a revoked credential also closes the socket (4401).
        """
        if context.credential is None:
            return None  # anonymous: nothing to re-check, nothing to count
        live = relay_of_scope(context.request.scope)
        try:
            principal = await resolve_token(context.credential, self.resources.settings)
            if principal is None:
                connection = live.connection_of(context.request) if live is not None else None
                if connection is not None:
                    live.close_connection(connection, CLOSE_REVOKED, "Credential revoked.")
                elif isinstance(context.request, WebSocket):
                    await context.request.close(code=CLOSE_REVOKED, reason="Credential revoked.")
                context.principal = ANONYMOUS
                return Unauthenticated("Invalid or revoked token.").formatted
            connection = live.connection_of(context.request) if live is not None else None
            if connection is not None:
                live.apply_principal(connection, principal)
            context.principal = principal
            await enforce_operation_rate_limit(self.resources, principal)
        except RateLimited as exc:
            return exc.formatted
        except Exception as exc:  # the database or Redis is down: refuse this operation only
            request_id = context.request_id
            log.error("ws_authorize_failed", request_id=request_id, error=repr(exc))
            return {
                "message": "Unexpected error.",
                "extensions": {"code": "INTERNAL", "requestId": request_id},
            }
        return None
