"""GraphQL types of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.accounts import models
from api.graphql.context import Info
from api.graphql.nodes import resolve_scoped
from api.graphql.payloads import MutationPayload
from api.privacy.types import AuditEventConnection, access_log_resolver


@strawberry.type(description="A person with a Hitflow account.")
class User(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    email: str = strawberry.field(description="Login and contact address.")
    email_verified: bool = strawberry.field(description="Whether the address was confirmed.")
    display_name: str | None = strawberry.field(description="Name shown to teammates.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    deletion_scheduled_for: datetime | None = strawberry.field(
        description="Set once deletion is confirmed: when the data will be purged."
    )
    access_log: AuditEventConnection = strawberry.field(
        resolver=access_log_resolver,
        description="Staff reads of my data, with the reason they gave (newest first).",
    )

    @classmethod
    def from_model(cls, user: models.User) -> User:
        return cls(
            pk=user.id,
            email=user.email,
            email_verified=user.email_verified,
            display_name=user.display_name,
            created_at=user.created_at,
            deletion_scheduled_for=user.deletion_scheduled_for,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        # A user is visible only to itself, and only with account:read.
        principal = info.context.principal
        me = principal.user_id if principal.has_scope("account:read") else None
        user = await models.User.get_or_none(id=me) if me is not None else None
        return [cls.from_model(user) if user and str(user.id) == str(i) else None for i in node_ids]


@strawberry.type(description="A personal access token's metadata (the token is never shown again).")
class PersonalAccessToken(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="What the token is for.")
    scopes: list[str] = strawberry.field(description="What the token may do.")
    created_at: datetime = strawberry.field(description="When the token was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When the token was last used (to the minute)."
    )

    @classmethod
    def from_model(cls, pat: models.PersonalAccessToken) -> PersonalAccessToken:
        return cls(
            pk=pat.id,
            name=pat.name,
            scopes=list(pat.scopes),
            created_at=pat.created_at,
            last_used_at=pat.last_used_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        from api.accounts.access_tokens import visible_to

        return await resolve_scoped(
            info, node_ids, scope="account:read", query=visible_to, to_node=cls.from_model
        )


@strawberry.type(description="The answer of signUp, logIn and resetPassword.")
class AuthPayload(MutationPayload):
    token: str | None = strawberry.field(
        default=None,
        description="A session token (also set as the HttpOnly cookie); null when none "
        "was opened (signUp never opens one: confirm the address, then log in).",
    )
    user: User | None = strawberry.field(default=None, description="The account.")


@strawberry.type(description="The answer of a mutation that changes the caller's account.")
class UserPayload(MutationPayload):
    user: User | None = strawberry.field(default=None, description="The account, updated.")


@strawberry.type(description="The answer of createPersonalAccessToken.")
class TokenPayload(MutationPayload):
    token: str | None = strawberry.field(
        default=None, description="The token: shown this once, store it now."
    )
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the token's metadata (to revoke it)."
    )
