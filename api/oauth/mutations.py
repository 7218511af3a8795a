"""OAuth mutations: client registration (workspace admins) and consent (the user)."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission

from api.core.ids import decode
from api.graphql.context import Info
from api.graphql.payloads import domain_errors_in
from api.oauth import clients, service
from api.oauth.permissions import SessionOnly
from api.oauth.types import (
    OAuthAuthorizationPayload,
    OAuthClient,
    OAuthClientPayload,
    OAuthDeletePayload,
)

SESSION: list[type[BasePermission]] = [SessionOnly]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        name="createOAuthClient",
        description="Register an OAuth client for a workspace (owners and admins). "
        "The secret of a confidential client is returned once.",
        permission_classes=SESSION,
    )
    @domain_errors_in(OAuthClientPayload)
    async def create_oauth_client(
        self,
        info: Info,
        workspace_id: strawberry.ID,
        name: str,
        redirect_uris: list[str],
        scopes: list[str],
        confidential: bool = True,
    ) -> OAuthClientPayload:
        row, secret = await clients.create_client(
            info.context.principal,
            workspace_id=decode(workspace_id, "Workspace", field="workspaceId"),
            name=name,
            redirect_uris=redirect_uris,
            scopes=scopes,
            confidential=confidential,
        )
        return OAuthClientPayload(client=OAuthClient.from_model(row), client_secret=secret)

    @strawberry.mutation(
        name="updateOAuthClient",
        description="Change an OAuth client's name, redirect URIs or scopes.",
        permission_classes=SESSION,
    )
    @domain_errors_in(OAuthClientPayload)
    async def update_oauth_client(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        redirect_uris: list[str] | None = None,
        scopes: list[str] | None = None,
    ) -> OAuthClientPayload:
        row = await clients.update_client(
            info.context.resources.redis,
            info.context.principal,
            decode(id, "OAuthClient"),
            name=name,
            redirect_uris=redirect_uris,
            scopes=scopes,
        )
        return OAuthClientPayload(client=OAuthClient.from_model(row))

    @strawberry.mutation(
        name="rotateOAuthClientSecret",
        description="Replace a confidential client's secret; the old one stops working.",
        permission_classes=SESSION,
    )
    @domain_errors_in(OAuthClientPayload)
    async def rotate_oauth_client_secret(self, info: Info, id: strawberry.ID) -> OAuthClientPayload:
        row, secret = await clients.rotate_secret(info.context.principal, decode(id, "OAuthClient"))
        return OAuthClientPayload(client=OAuthClient.from_model(row), client_secret=secret)

    @strawberry.mutation(
        name="deleteOAuthClient",
        description="Delete an OAuth client and revoke every token it holds.",
        permission_classes=SESSION,
    )
    @domain_errors_in(OAuthDeletePayload)
    async def delete_oauth_client(self, info: Info, id: strawberry.ID) -> OAuthDeletePayload:
        pk = decode(id, "OAuthClient")
        await service.delete_client(info.context.resources.redis, info.context.principal, pk)
        return OAuthDeletePayload(deleted_id=id)

    @strawberry.mutation(
        name="approveOAuthAuthorization",
        description="Grant a pending authorization request; returns where to send the browser.",
        permission_classes=SESSION,
    )
    @domain_errors_in(OAuthAuthorizationPayload)
    async def approve_oauth_authorization(
        self, info: Info, id: strawberry.ID
    ) -> OAuthAuthorizationPayload:
        url = await service.approve_authorization(info.context.principal, str(id))
        return OAuthAuthorizationPayload(redirect_url=url)

    @strawberry.mutation(
        name="denyOAuthAuthorization",
        description="Refuse a pending authorization request; returns where to send the browser.",
        permission_classes=SESSION,
    )
    @domain_errors_in(OAuthAuthorizationPayload)
    async def deny_oauth_authorization(
        self, info: Info, id: strawberry.ID
    ) -> OAuthAuthorizationPayload:
        url = await service.deny_authorization(info.context.principal, str(id))
        return OAuthAuthorizationPayload(redirect_url=url)

    @strawberry.mutation(
        description="Revoke every token the caller granted to an application.",
        permission_classes=SESSION,
    )
    @domain_errors_in(OAuthDeletePayload)
    async def revoke_authorized_app(self, info: Info, id: strawberry.ID) -> OAuthDeletePayload:
        client_pk = decode(id, "AuthorizedApp")
        await service.revoke_authorized_app(
            info.context.resources.redis, info.context.principal, client_pk
        )
        return OAuthDeletePayload(deleted_id=id)
