"""Workspace rules: creation, scoping, membership."""

from __future__ import annotations

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.accounts.factors import has_second_factor, users_with_second_factor
from api.accounts.models import User
from api.auth.principal import Principal
from api.core.errors import Forbidden, Invalid, LimitReached, NotFound, TwoFactorRequired
from api.core.logging import get_logger
from api.core.orm import column
from api.events import publish
from api.resources import Resources
from api.workspaces.models import Membership, Role, Workspace

log = get_logger(__name__)


def visible_to(principal: Principal) -> QuerySet[Workspace]:
    """The workspaces the principal is a member of (the only way to read them)."""
    return Workspace.filter(id__in=principal.workspace_ids)


async def create_personal_workspace(user: User) -> Workspace:
    name = (user.display_name or user.email.split("@", 1)[0])[:80] + "'s workspace"
    workspace = await Workspace.create(name=name, personal=True)
    await Membership.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


MAX_NAME = 100
MAX_WORKSPACES_PER_USER = 20


def clean_name(raw: str, *, field: str = "name") -> str:
    name = (raw or "").strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid(f"The name must have 1 to {MAX_NAME} characters.", field=field)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise Invalid("The name contains control characters.", field=field)
    return name


async def create_workspace(principal: Principal, *, name: str) -> Workspace:
    """A new team workspace; its creator is its OWNER."""
    clean = clean_name(name)
    owned = await Membership.filter(user_id=principal.user_id, role=Role.OWNER).count()
    if owned >= MAX_WORKSPACES_PER_USER:
        raise LimitReached(f"You own {MAX_WORKSPACES_PER_USER} workspaces already.", field="name")
    async with in_transaction():
        workspace = await Workspace.create(name=clean)
        await Membership.create(workspace=workspace, user_id=principal.user_id, role=Role.OWNER)
    return workspace


async def get_visible(
    principal: Principal, workspace_id: int, *, field: str = "workspaceId"
) -> Workspace:
    """The workspace if the principal is a member; NotFound otherwise (no enumeration)."""
    principal.check_two_factor(workspace_id, field=field)
    workspace = await visible_to(principal).get_or_none(id=workspace_id)
    if workspace is None:
        raise NotFound("No workspace with this id.", field=field)
    return workspace


async def set_require_two_factor(
    resources: Resources, principal: Principal, workspace_id: int, *, required: bool
) -> Workspace:
    """OWNER only. Members without a second factor lose the workspace's data at once
    (their live subscriptions to it close) until they set one up."""
    workspace = await get_visible(principal, workspace_id)
    if principal.role_in(workspace_id) != Role.OWNER:
        raise Forbidden("Only an OWNER may change the sign-in policy.")
    if required and not await has_second_factor(principal.user_id or 0):
        raise TwoFactorRequired(
            "Set up a second factor yourself before requiring one.", field="required"
        )
    workspace.require_two_factor = required
    await workspace.save(update_fields=["require_two_factor"])
    if required:
        members = await column(Membership.filter(workspace_id=workspace_id), "user_id")
        protected = await users_with_second_factor(members)
        for user_id in sorted(set(members) - protected):
            await publish(
                resources.redis, "membership_removed", workspaceId=workspace_id, userId=user_id
            )
    log.info("workspace_two_factor_policy", workspace_id=workspace_id, required=required)
    return workspace
