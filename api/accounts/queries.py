"""Account queries: viewer."""

from __future__ import annotations

import strawberry

from api.accounts import access_tokens, models
from api.accounts.sessions import active_sessions
from api.accounts.types import PersonalAccessToken, Session, User, WebAuthnCredential
from api.core.errors import Forbidden
from api.core.ids import encode
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

    @strawberry.field(description="The caller's passkeys and security keys, oldest first.")
    async def web_authn_credentials(self, info: Info) -> list[WebAuthnCredential]:
        rows = await models.WebAuthnCredential.filter(
            user_id=info.context.principal.user_id
        ).order_by("id")
        return [WebAuthnCredential.from_model(r) for r in rows]

    @strawberry.field(
        description="The caller's open sessions, most recently used first (at most 100)."
    )
    async def sessions(self, info: Info) -> list[Session]:
        principal = info.context.principal
        rows = await active_sessions(principal).order_by("-last_used_at", "-id").limit(100)
        return [Session.from_model(r, principal.credential_id) for r in rows]

    @strawberry.field(
        description="Workspaces you belong to whose policy requires a second factor you have "
        "not set up: their data answers TWO_FACTOR_REQUIRED until you do."
    )
    async def workspaces_requiring_two_factor(self, info: Info) -> list[strawberry.ID]:
        blocked = sorted(info.context.principal.two_factor_blocked)
        return [strawberry.ID(encode("Workspace", ws)) for ws in blocked]


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
