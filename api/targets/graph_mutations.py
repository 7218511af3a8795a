"""Target groups and dependencies: targetGroups, create/update/deleteTargetGroup,
setTargetDependencies."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.core.errors import NotFound
from api.core.ids import decode, decode_or_none, encode, parts
from api.graphql.context import Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import requires
from api.targets import dependencies, groups
from api.targets.graph_types import (
    TargetGroup,
    TargetGroupInput,
    TargetGroupPatch,
    TargetGroupPayload,
)
from api.targets.types import Target, TargetPayload

READ = [requires("targets:read")]
WRITE = [requires("targets:write")]


def _target_pks(ids: list[strawberry.ID]) -> list[int]:
    return [decode(i, "Target", field="targetIds") for i in ids]


def _ref(value: str) -> dependencies.Ref:
    """A dependency id: a Target's or a TargetGroup's global id."""
    kind = parts(value)
    if kind not in ("Target", "TargetGroup"):
        raise NotFound("No target or group with this id.", field="dependsOn")
    return dependencies.Ref(kind, decode(value, kind, field="dependsOn"))


@strawberry.type
class Query:
    @strawberry.field(
        description="The target groups of a workspace, by name (empty when not yours).",
        permission_classes=READ,
    )
    async def target_groups(self, info: Info, workspace_id: strawberry.ID) -> list[TargetGroup]:
        pk = decode_or_none(workspace_id, "Workspace")
        if pk is None:
            return []
        rows = await groups.visible_to(info.context.principal).filter(workspace_id=pk)
        return [TargetGroup.from_model(r) for r in sorted(rows, key=lambda r: r.name)]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a named set of targets.", permission_classes=WRITE)
    @domain_errors_in(TargetGroupPayload)
    async def create_target_group(self, info: Info, input: TargetGroupInput) -> TargetGroupPayload:
        row = await groups.create_group(
            info.context.principal,
            workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
            name=input.name,
            target_ids=_target_pks(input.target_ids),
        )
        return TargetGroupPayload(group=TargetGroup.from_model(row))

    @strawberry.mutation(
        description="Rename a group or replace its targets (refused if it would close a "
        "dependency cycle).",
        permission_classes=WRITE,
    )
    @domain_errors_in(TargetGroupPayload)
    async def update_target_group(
        self, info: Info, id: strawberry.ID, input: TargetGroupPatch
    ) -> TargetGroupPayload:
        row = await groups.update_group(
            info.context.principal,
            decode(id, "TargetGroup"),
            name=input.name,
            target_ids=None if input.target_ids is None else _target_pks(input.target_ids),
        )
        return TargetGroupPayload(group=TargetGroup.from_model(row))

    @strawberry.mutation(
        description="Delete a group (its targets stay; dependencies on it go).",
        permission_classes=WRITE,
    )
    @domain_errors_in(DeletePayload)
    async def delete_target_group(self, info: Info, id: strawberry.ID) -> DeletePayload:
        pk = await groups.delete_group(info.context.principal, decode(id, "TargetGroup"))
        return DeletePayload(deleted_id=strawberry.ID(encode("TargetGroup", pk)))

    @strawberry.mutation(
        description="Replace what a target depends on: targets or groups of its workspace "
        "(at most 20). While one is DOWN, this target's own DOWN alerts are suppressed and "
        "attached to its incident. Refused when it would close a cycle.",
        permission_classes=WRITE,
    )
    @domain_errors_in(TargetPayload)
    async def set_target_dependencies(
        self,
        info: Info,
        target_id: strawberry.ID,
        depends_on: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="Global ids of targets or target groups."),
        ],
    ) -> TargetPayload:
        row = await dependencies.set_dependencies(
            info.context.principal,
            decode(target_id, "Target", field="targetId"),
            [_ref(i) for i in depends_on],
        )
        return TargetPayload(target=Target.from_model(row))
