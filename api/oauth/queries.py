"""OAuth queries: a workspace's clients, a pending consent, the caller's authorized apps."""

from __future__ import annotations

import strawberry

# Importing the package registers the hf_at_ token resolver (api/oauth/__init__.py).
from api.core.errors import DomainError
from api.core.ids import decode_or_none
from api.graphql.context import Info
from api.graphql.permissions import requires
from api.oauth import clients, service
from api.oauth.permissions import SessionOnly
from api.oauth.types import AuthorizedApp, OAuthAuthorizationRequest, OAuthClient


@strawberry.type
class Query:
    @strawberry.field(
        description="OAuth clients of a workspace (its owners and admins only; "
        "empty for anyone else).",
        permission_classes=[SessionOnly],
    )
    async def oauth_clients(self, info: Info, workspace_id: strawberry.ID) -> list[OAuthClient]:
        ws = decode_or_none(workspace_id, "Workspace")
        if ws is None:
            return []
        rows = await clients.list_clients(info.context.principal, ws)
        return [OAuthClient.from_model(r) for r in rows]

    @strawberry.field(
        description="A pending authorization request, for the consent screen; "
        "null when unknown, decided or expired.",
        permission_classes=[SessionOnly],
    )
    async def oauth_authorization_request(
        self, info: Info, id: strawberry.ID
    ) -> OAuthAuthorizationRequest | None:
        try:
            row = await service.pending_request(info.context.principal, str(id))
        except DomainError:
            return None
        return OAuthAuthorizationRequest.from_model(row)

    @strawberry.field(
        description="Applications the caller granted access to (OAuth).",
        permission_classes=[requires("account:read")],
    )
    async def authorized_apps(self, info: Info) -> list[AuthorizedApp]:
        apps = await service.authorized_apps(info.context.principal)
        return [AuthorizedApp.from_service(a) for a in apps]
