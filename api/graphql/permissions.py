"""Strawberry permission classes: authentication and scopes.

Workspace membership is not a permission class: a foreign id must read as null /
NOT_FOUND, so it is checked by each domain's `visible_to(principal)` scoping.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from api.auth.principal import ALL_SCOPES, Principal
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


class _Holds(BasePermission):
    scope = ""

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(info.context.principal.has_scope(self.scope))


def read_back(scope: str) -> list[FieldExtension]:
    """Field extensions for a mutation payload's object: null unless the credential may
    also READ it (`scope`). A write-only token (e.g. targets:write without targets:read)
    changes things but never reads them back through a payload (docs/security.md)."""
    if scope not in ALL_SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    holds = type("Holds_" + scope.replace(":", "_"), (_Holds,), {"scope": scope})
    return [PermissionExtension(permissions=[holds()], fail_silently=True, use_directives=False)]


def may_read_credential(principal: Principal, workspace_id: int, write_scope: str) -> bool:
    """A field whose value is a credential (it lets its holder change something, e.g. a
    heartbeat URL) is shown only to who may make that change: a writer role in the
    workspace AND the write scope. A read-only token never gets a write credential."""
    return principal.can_write(workspace_id) and principal.has_scope(write_scope)


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
