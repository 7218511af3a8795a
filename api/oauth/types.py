"""GraphQL types of the OAuth domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.graphql.nodes import resolve_scoped
from api.graphql.payloads import MutationPayload
from api.oauth import models
from api.oauth import service as oauth_service
from api.oauth.clients import manageable_by


@strawberry.type(description="A third-party application registered by a workspace.")
class OAuthClient(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    client_id: str = strawberry.field(description="The public client identifier (client_id).")
    name: str = strawberry.field(description="Name shown to users on the consent screen.")
    redirect_uris: list[str] = strawberry.field(description="Exact redirect URIs accepted.")
    scopes: list[str] = strawberry.field(description="The most this client may ask for.")
    confidential: bool = strawberry.field(
        description="True: the client has a secret (server side); false: public (PKCE only)."
    )
    created_at: datetime = strawberry.field(description="When the client was registered.")

    @classmethod
    def from_model(cls, row: models.OAuthClient) -> OAuthClient:
        return cls(
            pk=row.id,
            client_id=row.client_id,
            name=row.name,
            redirect_uris=list(row.redirect_uris),
            scopes=list(row.scopes),
            confidential=row.confidential,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        # Only a session manages OAuth clients: no token reads them, whatever its scopes.
        return await resolve_scoped(
            info,
            node_ids,
            scope=None,
            query=lambda p: manageable_by(p) if p.kind == "session" else None,
            to_node=cls.from_model,
        )


@strawberry.type(description="The answer of a mutation on an OAuth client.")
class OAuthClientPayload(MutationPayload):
    client: OAuthClient | None = strawberry.field(
        default=None, description="The client, on success."
    )
    client_secret: str | None = strawberry.field(
        default=None, description="The client secret, shown only once (confidential clients)."
    )


@strawberry.type(description="The answer of a deletion or revocation in the OAuth domain.")
class OAuthDeletePayload(MutationPayload):
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id that is gone."
    )


@strawberry.type(description="An application asking for access, shown on the consent screen.")
class OAuthAuthorizationRequest:
    id: strawberry.ID = strawberry.field(description="The request id from the consent URL.")
    client_name: str = strawberry.field(description="The application's name.")
    client_id: str = strawberry.field(description="The application's client_id.")
    scopes: list[str] = strawberry.field(description="The scopes it asks for.")
    redirect_uri: str = strawberry.field(description="Where the answer will be sent.")
    expires_at: datetime = strawberry.field(description="The request must be decided before.")

    @classmethod
    def from_model(cls, row: models.OAuthAuthorizationRequest) -> OAuthAuthorizationRequest:
        return cls(
            id=strawberry.ID(row.id),
            client_name=row.client.name,
            client_id=row.client.client_id,
            scopes=list(row.scopes),
            redirect_uri=row.redirect_uri,
            expires_at=row.expires_at,
        )


@strawberry.type(description="The outcome of a consent decision.")
class OAuthAuthorizationPayload(MutationPayload):
    redirect_url: str | None = strawberry.field(
        default=None,
        description="Send the browser here: the client's redirect URI with code and state "
        "(or error=access_denied).",
    )


@strawberry.type(description="An application the caller granted access to their account.")
class AuthorizedApp:
    id: strawberry.ID = strawberry.field(description="Pass to revokeAuthorizedApp.")
    name: str = strawberry.field(description="The application's name.")
    scopes: list[str] = strawberry.field(description="The scopes it holds.")
    authorized_at: datetime = strawberry.field(description="When access was first granted.")
    last_used_at: datetime | None = strawberry.field(description="When it last called the API.")

    @classmethod
    def from_service(cls, app: oauth_service.AuthorizedApp) -> AuthorizedApp:
        from api.core.ids import encode

        return cls(
            id=strawberry.ID(encode("AuthorizedApp", app.client_pk)),
            name=app.name,
            scopes=app.scopes,
            authorized_at=app.authorized_at,
            last_used_at=app.last_used_at,
        )
