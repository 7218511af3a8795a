"""Strawberry permission classes: authentication and scopes.

Workspace membership is not a permission class: a foreign id must read as null /
NOT_FOUND, so it is checked by each domain's `visible_to(principal)` scoping.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission

from api.auth.principal import ALL_SCOPES
from api.core.errors import Forbidden, TwoFactorRequiredError, Unauthenticated


class IsAuthenticated(BasePermission):
    message = "Authentication required."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        if not info.context.principal.authenticated:
            raise Unauthenticated()
        return True


@cache
def requires(scope: str) -> type[BasePermission]:
    """A permission class that needs an authenticated principal holding `scope`."""
    if scope not in ALL_SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def has_permission(self: BasePermission, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.principal
        if not principal.authenticated:
            raise Unauthenticated()
        if not principal.has_scope(scope):
            raise Forbidden(f"Missing scope: {scope}.", scope=scope)
        return True

    name = "Requires_" + scope.replace(":", "_")
    return type(name, (BasePermission,), {"has_permission": has_permission, "message": scope})


class IsStaff(BasePermission):
    message = "Staff only."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.principal
        if not principal.authenticated:
            raise Unauthenticated()
        if not principal.is_staff or principal.kind != "session":
            raise Forbidden("Staff only.")
        if not principal.two_factor:
            raise TwoFactorRequiredError("Staff views need a second factor: set one up first.")
        return True
