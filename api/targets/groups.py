"""Target groups: named sets of targets of one workspace.

The one place that resolves a group for a principal; dependencies and SLA reports call it.
"""

from __future__ import annotations

from api.auth.principal import Principal
from api.core.errors import NotFound
from api.targets.models import TargetGroup


async def get_visible_group(principal: Principal, group_id: int) -> TargetGroup:
    """The group if it belongs to one of the principal's workspaces, else NotFound."""
    group = await TargetGroup.get_or_none(id=group_id, workspace_id__in=principal.workspace_ids)
    if group is None:
        raise NotFound("No target group with this id.", field="groupId")
    return group


async def group_target_ids(principal: Principal, group_id: int) -> list[int]:
    """Ids of the targets in a group the principal can see, sorted; NotFound otherwise."""
    group = await get_visible_group(principal, group_id)
    targets = await group.targets.all().only("id")
    return sorted(t.id for t in targets)
