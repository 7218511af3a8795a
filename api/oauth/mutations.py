"""OAuth mutations: client registration (workspace admins) and consent (the user)."""

from __future__ import annotations

import strawberry

from api.core.errors import DomainError
from api.graphql.context import Info
from api.graphql.errors import user_errors
from api.graphql.ids import decode
from api.oauth import clients, service
from api.oauth.permissions import SessionOnly
from api.oauth.types import (
    OAuthAuthorizationPayload,
    OAuthClient,
    OAuthClientPayload,
    OAuthDeletePayload,
)

SESSION = [SessionOnly]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        name="createOAuthClient",
        description="Register an OAuth client for a workspace (owners and admins). "
        "The secret of a confidential client is returned once.",
        permission_classes=SESSION,
    )
    async def create_oauth_client(
        self,
        info: Info,
        workspace_id: strawberry.ID,
        name: str,
        redirect_uris: list[str],
        scopes: list[str],
        confidential: bool = True,
    ) -> OAuthClientPayload:
        try:
            row, secret = await clients.create_client(
                info.context.principal,
                workspace_id=decode(workspace_id, "Workspace", field="workspaceId"),
                name=name,
                redirect_uris=redirect_uris,
                scopes=scopes,
                confidential=confidential,
            )
        except DomainError as exc:
            return OAuthClientPayload(client=None, client_secret=None, errors=user_errors(exc))
        return OAuthClientPayload(
            client=OAuthClient.from_model(row), client_secret=secret, errors=[]
        )

    @strawberry.mutation(
        name="updateOAuthClient",
        description="Change an OAuth client's name, redirect URIs or scopes.",
        permission_classes=SESSION,
    )
    async def update_oauth_client(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        redirect_uris: list[str] | None = None,
        scopes: list[str] | None = None,
    ) -> OAuthClientPayload:
        try:
            row = await clients.update_client(
                info.context.principal,
                decode(id, "OAuthClient"),
                name=name,
                redirect_uris=redirect_uris,
                scopes=scopes,
            )
        except DomainError as exc:
            return OAuthClientPayload(client=None, client_secret=None, errors=user_errors(exc))
        return OAuthClientPayload(client=OAuthClient.from_model(row), client_secret=None, errors=[])

    @strawberry.mutation(
        name="rotateOAuthClientSecret",
        description="Replace a confidential client's secret; the old one stops working.",
        permission_classes=SESSION,
    )
    async def rotate_oauth_client_secret(self, info: Info, id: strawberry.ID) -> OAuthClientPayload:
        try:
            row, secret = await clients.rotate_secret(
                info.context.principal, decode(id, "OAuthClient")
            )
        except DomainError as exc:
            return OAuthClientPayload(client=None, client_secret=None, errors=user_errors(exc))
        return OAuthClientPayload(
            client=OAuthClient.from_model(row), client_secret=secret, errors=[]
        )

    @strawberry.mutation(
        name="deleteOAuthClient",
        description="Delete an OAuth client and revoke every token it holds.",
        permission_classes=SESSION,
    )
    async def delete_oauth_client(self, info: Info, id: strawberry.ID) -> OAuthDeletePayload:
        try:
            pk = decode(id, "OAuthClient")
            await service.delete_client(info.context.resources.redis, info.context.principal, pk)
        except DomainError as exc:
            return OAuthDeletePayload(deleted_id=None, errors=user_errors(exc))
        return OAuthDeletePayload(deleted_id=id, errors=[])

    @strawberry.mutation(
        name="approveOAuthAuthorization",
        description="Grant a pending authorization request; returns where to send the browser.",
        permission_classes=SESSION,
    )
    async def approve_oauth_authorization(
        self, info: Info, id: strawberry.ID
    ) -> OAuthAuthorizationPayload:
        try:
            url = await service.approve_authorization(info.context.principal, str(id))
        except DomainError as exc:
            return OAuthAuthorizationPayload(redirect_url=None, errors=user_errors(exc))
        return OAuthAuthorizationPayload(redirect_url=url, errors=[])

    @strawberry.mutation(
        name="denyOAuthAuthorization",
        description="Refuse a pending authorization request; returns where to send the browser.",
        permission_classes=SESSION,
    )
    async def deny_oauth_authorization(
        self, info: Info, id: strawberry.ID
    ) -> OAuthAuthorizationPayload:
        try:
            url = await service.deny_authorization(info.context.principal, str(id))
        except DomainError as exc:
            return OAuthAuthorizationPayload(redirect_url=None, errors=user_errors(exc))
        return OAuthAuthorizationPayload(redirect_url=url, errors=[])

    @strawberry.mutation(
        description="Revoke every token the caller granted to an application.",
        permission_classes=SESSION,
    )
    async def revoke_authorized_app(self, info: Info, id: strawberry.ID) -> OAuthDeletePayload:
        try:
            client_pk = decode(id, "AuthorizedApp")
            await service.revoke_authorized_app(
                info.context.resources.redis, info.context.principal, client_pk
            )
        except DomainError as exc:
            return OAuthDeletePayload(deleted_id=None, errors=user_errors(exc))
        return OAuthDeletePayload(deleted_id=id, errors=[])
