"""Staff support views: read a customer's account or workspace for support, only with a
reason, never with secrets, and every read audited where that customer can see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.accounts.models import User
from api.core.errors import NotFound
from api.privacy import audit
from api.targets.models import Target
from api.workspaces.models import Membership, Workspace


@dataclass
class SupportWorkspaceSummary:
    id: int
    name: str
    plan: str
    role: str
    targets: int


@dataclass
class SupportUserView:
    id: int
    email: str
    display_name: str | None
    email_verified: bool
    is_active: bool
    created_at: datetime
    deletion_scheduled_for: datetime | None
    legal_hold: bool
    workspaces: list[SupportWorkspaceSummary]


@dataclass
class SupportTarget:
    id: int
    name: str
    kind: str
    status: str
    paused: bool
    interval_seconds: int
    regions: list[str]


@dataclass
class SupportMember:
    user_id: int
    email: str
    role: str


@dataclass
class SupportWorkspaceView:
    id: int
    name: str
    plan: str
    created_at: datetime
    members: list[SupportMember]
    targets: list[SupportTarget]


async def _staff(staff_id: int) -> User:
    staff = await User.get_or_none(id=staff_id, is_staff=True, is_active=True)
    if staff is None:
        raise NotFound("No such staff user.")
    return staff


async def read_user(staff_id: int, email: str, reason: str) -> SupportUserView | None:
    """The support view of one account (None when no such e-mail); audited."""
    text = audit.clean_reason(reason)
    staff = await _staff(staff_id)
    user = await User.get_or_none(email=(email or "").strip().lower())
    if user is None:
        return None
    await audit.record(
        user.id,
        "staff.read_account",
        actor=audit.staff_label(staff),
        actor_user_id=staff.id,
        reason=text,
    )
    return await user_view(user)


async def user_view(user: User) -> SupportUserView:
    """The support view of an account, without auditing (callers audit)."""
    memberships = await Membership.filter(user_id=user.id).select_related("workspace")
    summaries = []
    for m in sorted(memberships, key=lambda m: m.workspace_id):
        count = await Target.filter(workspace_id=m.workspace_id).count()
        summaries.append(
            SupportWorkspaceSummary(
                id=m.workspace_id,
                name=m.workspace.name,
                plan=m.workspace.plan,
                role=str(m.role),
                targets=count,
            )
        )
    return SupportUserView(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        email_verified=user.email_verified,
        is_active=user.is_active,
        created_at=user.created_at,
        deletion_scheduled_for=user.deletion_scheduled_for,
        legal_hold=user.legal_hold,
        workspaces=summaries,
    )


async def read_workspace(
    staff_id: int, workspace_id: int, reason: str
) -> SupportWorkspaceView | None:
    """The support view of one workspace (targets without their config); audited once
    for every member, since each of them sees their workspace being read."""
    text = audit.clean_reason(reason)
    staff = await _staff(staff_id)
    workspace = await Workspace.get_or_none(id=workspace_id)
    if workspace is None:
        return None
    members = await Membership.filter(workspace_id=workspace.id).select_related("user")
    targets = await Target.filter(workspace_id=workspace.id).order_by("id")
    for m in members:
        await audit.record(
            m.user_id,
            "staff.read_workspace",
            actor=audit.staff_label(staff),
            actor_user_id=staff.id,
            reason=text,
            details={"workspace": workspace.name},
        )
    return SupportWorkspaceView(
        id=workspace.id,
        name=workspace.name,
        plan=workspace.plan,
        created_at=workspace.created_at,
        members=[SupportMember(m.user_id, m.user.email, str(m.role)) for m in members],
        targets=[
            SupportTarget(
                id=t.id,
                name=t.name,
                kind=str(t.kind),
                status=str(t.status),
                paused=t.paused,
                interval_seconds=t.interval_seconds,
                regions=list(t.regions or []),
            )
            for t in targets
        ],
    )
