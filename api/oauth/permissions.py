"""Permission for what only a signed-in user may do (not a token acting for them)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from api.core.errors import Forbidden, Unauthenticated


class SessionOnly(BasePermission):
    """Managing OAuth clients and granting consent need the user's own session:
    a personal or OAuth token must not mint or approve more tokens."""

    message = "Only a signed-in session can do this."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.principal
        if not principal.authenticated:
            raise Unauthenticated()
        if principal.kind != "session" or principal.user_id is None:
            raise Forbidden("Only a signed-in session can do this, not an access token.")
        return True
