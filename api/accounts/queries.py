"""Account queries: viewer."""

from __future__ import annotations

import strawberry

from api.accounts import access_tokens, models
from api.accounts.types import PersonalAccessToken, User
from api.core.errors import Forbidden
from api.graphql.context import Info
from api.workspaces.service import visible_to
from api.workspaces.types import MAX_LISTED, Workspace


@strawberry.type(description="The authenticated caller and the workspaces they belong to.")
class Viewer:
    user: User = strawberry.field(description="The caller.")

    @strawberry.field(
        description="Workspaces the caller is a member of, oldest first (at most the first 100)."
    )
    async def workspaces(self, info: Info) -> list[Workspace]:
        principal = info.context.principal
        rows = await visible_to(principal).order_by("id").limit(MAX_LISTED)
        return [Workspace.from_model(w, principal.memberships[w.id]) for w in rows]

    @strawberry.field(
        description="The caller's active personal access tokens (metadata only, newest first)."
    )
    async def personal_access_tokens(self, info: Info) -> list[PersonalAccessToken]:
        rows = await access_tokens.visible_to(info.context.principal).order_by("-id")
        return [PersonalAccessToken.from_model(p) for p in rows]


@strawberry.type
class Query:
    @strawberry.field(description="The caller; null when anonymous.")
    async def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.principal
        if principal.user_id is None:
            return None
        if not principal.has_scope("account:read"):
            raise Forbidden("Missing scope: account:read.", scope="account:read")
        user = await models.User.get_or_none(id=principal.user_id)
        return Viewer(user=User.from_model(user)) if user else None
