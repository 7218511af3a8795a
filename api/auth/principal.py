"""The principal of a request: who is calling, in which workspaces, with which scopes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from api.accounts.factors import has_second_factor
from api.core.errors import TwoFactorRequired
from api.workspaces.models import ADMIN_ROLES, WRITER_ROLES, Membership, Role

ALL_SCOPES: tuple[str, ...] = (
    "account:read",
    "account:write",
    "targets:read",
    "targets:write",
    "results:read",
    "alerts:read",
    "alerts:write",
    "billing:write",
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
    # Whether the user has a second factor: resolved for staff and for members of a
    # workspace that requires one (None otherwise: not needed to answer the request).
    two_factor: bool | None = None
    # Workspaces the user belongs to whose requireTwoFactor policy hides them (no factor).
    two_factor_blocked: frozenset[int] = frozenset()

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

    def check_two_factor(self, workspace_id: int, *, field: str | None = "workspaceId") -> None:
        """TwoFactorRequired when the workspace's policy hides it from this user."""
        if workspace_id in self.two_factor_blocked:
            raise TwoFactorRequired(
                "This workspace requires a second factor: set one up to reach its data.",
                field=field,
            )


ANONYMOUS = Principal()


@dataclass(frozen=True)
class Access:
    """What a user's credential may reach: memberships, minus what a 2FA policy hides."""

    memberships: dict[int, Role]
    two_factor: bool | None
    two_factor_blocked: frozenset[int]


async def access_of(user_id: int, *, is_staff: bool = False) -> Access:
    """The user's memberships, without the workspaces requiring a second factor they lack.

    The factor is looked up only when it matters (staff, or a workspace requiring one),
    so most requests pay no query for it.
    """
    rows = await Membership.filter(user_id=user_id).values_list(
        "workspace_id", "role", "workspace__require_two_factor"
    )
    required = frozenset(ws for ws, _, req in rows if req)
    two_factor = await has_second_factor(user_id) if is_staff or required else None
    blocked = frozenset() if two_factor else required
    return Access(
        memberships={ws: Role(role) for ws, role, _ in rows if ws not in blocked},
        two_factor=two_factor,
        two_factor_blocked=blocked,
    )
