"""The per-request (or per-websocket) GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as _Info

from api.auth.principal import Principal
from api.resources import Resources
from api.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | None
    resources: Resources
    principal: Principal
    request_id: str
    # Per-request DataLoaders, built lazily by api.graphql.loaders.loader(); on websockets
    # the context lives for the whole connection, so subscriptions must not rely on them.
    loaders: dict[str, Any] = field(default_factory=dict)
    connection_params: dict[str, Any] | None = None
    # Websockets: the credential the connection authenticated with (bearer token or session
    # cookie), re-resolved before each operation (rights may have changed since).
    credential: str | None = None

    @property
    def settings(self) -> Settings:
        return self.resources.settings

    @property
    def client_ip(self) -> str:
        client = self.request.client
        return client.host if client else "unknown"


Info = _Info[Context, None]
