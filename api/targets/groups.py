"""Target groups: named sets of targets of one workspace.

The one place that resolves a group for a principal; dependencies and SLA reports call it.
Creating, renaming, re-membering and deleting groups also live here; a membership change
is refused when it would close a cycle in the dependency graph (a group can be a
dependency, api/targets/dependencies.py).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.auth.principal import Principal
from api.core.errors import AlreadyExists, Forbidden, Invalid, LimitReached, NotFound
from api.targets import dependencies
from api.targets.models import Target, TargetGroup

MAX_GROUPS_PER_WORKSPACE = 100
MAX_TARGETS_PER_GROUP = 500


def visible_to(principal: Principal) -> QuerySet[TargetGroup]:
    """The groups of the principal's workspaces (the only way to read them)."""
    return TargetGroup.filter(workspace_id__in=principal.workspace_ids)


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


def require_writer(principal: Principal, workspace_id: int, *, field: str = "id") -> None:
    """NotFound for a stranger, Forbidden for a viewer (the same rule as targets)."""
    principal.check_two_factor(workspace_id, field=field)
    if not principal.can_read(workspace_id):
        raise NotFound("No workspace with this id.", field=field)
    if not principal.can_write(workspace_id):
        raise Forbidden("Your role in this workspace cannot change targets.")


def _name(raw: str) -> str:
    name = (raw or "").strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("The name must have 1 to 100 characters.", field="name")
    return name


async def _members(workspace_id: int, target_ids: list[int]) -> list[Target]:
    wanted = list(dict.fromkeys(target_ids))
    if len(wanted) > MAX_TARGETS_PER_GROUP:
        raise LimitReached(
            f"A group holds at most {MAX_TARGETS_PER_GROUP} targets.", field="targetIds"
        )
    rows = await Target.filter(workspace_id=workspace_id, id__in=wanted)
    if len(rows) != len(wanted):
        raise NotFound("No target with this id in this workspace.", field="targetIds")
    return rows


async def _writable_group(principal: Principal, group_id: int) -> TargetGroup:
    group = await get_visible_group(principal, group_id)
    require_writer(principal, group.workspace_id)
    return group


async def create_group(
    principal: Principal, *, workspace_id: int, name: str, target_ids: list[int]
) -> TargetGroup:
    require_writer(principal, workspace_id, field="workspaceId")
    name = _name(name)
    members = await _members(workspace_id, target_ids)
    if await TargetGroup.filter(workspace_id=workspace_id).count() >= MAX_GROUPS_PER_WORKSPACE:
        raise LimitReached(f"At most {MAX_GROUPS_PER_WORKSPACE} target groups per workspace.")
    try:
        async with in_transaction():
            group = await TargetGroup.create(workspace_id=workspace_id, name=name)
            if members:
                await group.targets.add(*members)
    except IntegrityError:
        raise AlreadyExists("A group with this name exists.", field="name") from None
    return group


async def update_group(
    principal: Principal,
    group_id: int,
    *,
    name: str | None = None,
    target_ids: list[int] | None = None,
) -> TargetGroup:
    group = await _writable_group(principal, group_id)
    if name is not None:
        group.name = _name(name)
    members = None
    if target_ids is not None:
        members = await _members(group.workspace_id, target_ids)
        await dependencies.refuse_cycle(
            group.workspace_id,
            group_members={group.id: {t.id for t in members}},
            field="targetIds",  # the input field that closes the cycle
        )
    try:
        async with in_transaction():
            await group.save(update_fields=["name"])
            if members is not None:
                await group.targets.clear()
                if members:
                    await group.targets.add(*members)
    except IntegrityError:
        raise AlreadyExists("A group with this name exists.", field="name") from None
    return group


async def delete_group(principal: Principal, group_id: int) -> int:
    """Delete the group; targets that depended on it lose that dependency."""
    group = await _writable_group(principal, group_id)
    await group.delete()
    return group_id
