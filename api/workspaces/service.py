"""Workspace rules: creation, scoping, membership."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from api.accounts.models import User
from api.auth.principal import Principal
from api.workspaces.models import Membership, Role, Workspace


def visible_to(principal: Principal) -> QuerySet[Workspace]:
    """The workspaces the principal is a member of (the only way to read them)."""
    return Workspace.filter(id__in=principal.workspace_ids)


async def create_personal_workspace(user: User) -> Workspace:
    name = (user.display_name or user.email.split("@", 1)[0])[:80] + "'s workspace"
    workspace = await Workspace.create(name=name, personal=True)
    await Membership.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace
