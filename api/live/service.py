"""Who may subscribe to what: the workspace and target scoping of live subscriptions."""

from __future__ import annotations

from api.auth.principal import Principal
from api.core.errors import NotFound


def readable_workspace(principal: Principal, workspace_id: int) -> int:
    """The workspace id if the principal is a member; NotFound otherwise (no enumeration)."""
    if not principal.can_read(workspace_id):
        raise NotFound("No Workspace with this id.", field="workspaceId")
    return workspace_id


async def readable_target_workspace(principal: Principal, target_id: int) -> int:
    """The workspace of a target the principal can read; NotFound otherwise."""
    from api.targets.service import visible_to

    target = await visible_to(principal).filter(id=target_id).only("id", "workspace_id").first()
    if target is None:
        raise NotFound("No Target with this id.", field="targetId")
    return int(target.workspace_id)
