"""GraphQL types of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.accounts import models
from api.graphql.context import Info


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
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        # A user is visible only to itself.
        me = info.context.principal.user_id
        user = await models.User.get_or_none(id=me) if me is not None else None
        return [cls.from_model(user) if user and str(user.id) == str(i) else None for i in node_ids]
