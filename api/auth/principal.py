"""The principal of a request: who is calling, in which workspaces, with which scopes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from api.workspaces.models import ADMIN_ROLES, WRITER_ROLES, Membership, Role

ALL_SCOPES: tuple[str, ...] = (
    "account:read",
    "account:write",
    "targets:read",
    "targets:write",
    "results:read",
    "alerts:read",
    "alerts:write",
    "metrics:read",
)
# Scopes over the user's own account: never granted to a client acting for itself.
ACCOUNT_SCOPES = frozenset({"account:read", "account:write"})

CredentialKind = Literal["anonymous", "session", "pat", "oauth", "client"]


@dataclass(frozen=True)
class Principal:
    kind: CredentialKind = "anonymous"
    user_id: int | None = None
    scopes: frozenset[str] = frozenset()
    memberships: dict[int, Role] = field(default_factory=dict)
    credential_id: int | None = None  # the session / token row, for revocation
    is_staff: bool = False

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def role_in(self, workspace_id: int) -> Role | None:
        return self.memberships.get(workspace_id)

    def can_read(self, workspace_id: int) -> bool:
        return workspace_id in self.memberships

    def can_write(self, workspace_id: int) -> bool:
        return self.memberships.get(workspace_id) in WRITER_ROLES

    def can_admin(self, workspace_id: int) -> bool:
        return self.memberships.get(workspace_id) in ADMIN_ROLES

    @property
    def workspace_ids(self) -> list[int]:
        return list(self.memberships)


ANONYMOUS = Principal()


async def memberships_of(user_id: int) -> dict[int, Role]:
    """A user's role in each of their workspaces: the `memberships` of their principals."""
    rows = await Membership.filter(user_id=user_id).values_list("workspace_id", "role")
    return {ws: Role(role) for ws, role in rows}
