"""GraphQL of target groups and dependencies: the TargetGroup node, its inputs and
payloads, and the loaders behind Target.groups / dependsOn / dependents."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.graphql.loaders import loader
from api.graphql.nodes import resolve_scoped
from api.graphql.payloads import MutationPayload
from api.graphql.permissions import requires
from api.targets import dependencies, groups, models
from api.targets.types import Target, load_target, load_targets

MAX_LISTED = 100
"""Lists of targets here answer at most this many (a group holds up to 500)."""


@strawberry.type(description='A named set of targets of one workspace (e.g. "EU edge").')
class TargetGroup(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="Display name, unique in the workspace.")
    created_at: datetime = strawberry.field(description="When the group was created.")

    @classmethod
    def from_model(cls, row: models.TargetGroup) -> TargetGroup:
        return cls(pk=row.id, name=row.name, created_at=row.created_at)

    @strawberry.field(
        description="Its targets, by name (at most the first 100).",
        permission_classes=[requires("targets:read")],
    )
    async def targets(self, info: Info) -> list[Target]:
        principal = info.context.principal

        async def batch(ids: Sequence[int]) -> list[list[Any]]:
            rows = (
                await models.Target.filter(
                    groups__id__in=list(ids), workspace_id__in=principal.workspace_ids
                )
                .order_by("name", "id")
                .values_list("groups__id", "id")
            )
            grouped: dict[int, list[int]] = defaultdict(list)
            for group_id, target_id in rows:
                if group_id in ids and len(grouped[group_id]) < MAX_LISTED:
                    grouped[group_id].append(target_id)
            return [grouped[i] for i in ids]

        ids = await loader(info.context, "targetGroup.targetIds", batch).load(self.pk)
        return await load_targets(info, ids)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info, node_ids, scope="targets:read", query=groups.visible_to, to_node=cls.from_model
        )


TargetDependencyNode = Annotated[
    Target | TargetGroup,
    strawberry.union("TargetDependency", description="What a target depends on."),
]


async def load_groups_of(info: Info, target_id: int) -> list[TargetGroup]:
    principal = info.context.principal

    async def batch(ids: Sequence[int]) -> list[list[Any]]:
        rows = (
            await groups.visible_to(principal)
            .filter(targets__id__in=list(ids))
            .values("id", "name", "created_at", "targets__id")
        )
        out: dict[int, list[Any]] = {i: [] for i in ids}
        for row in sorted(rows, key=lambda r: (r["name"], r["id"])):
            if row["targets__id"] in out:
                out[row["targets__id"]].append(
                    TargetGroup(pk=row["id"], name=row["name"], created_at=row["created_at"])
                )
        return [out[i] for i in ids]

    return list(await loader(info.context, "target.groups", batch).load(target_id))


async def load_group(info: Info, group_id: int) -> TargetGroup | None:
    principal = info.context.principal

    async def batch(ids: Sequence[int]) -> list[Any]:
        rows = {r.id: r for r in await groups.visible_to(principal).filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    row = await loader(info.context, "targetGroup.byId", batch).load(group_id)
    return TargetGroup.from_model(row) if row else None


async def load_depends_on(info: Info, target_id: int) -> list[Target | TargetGroup]:
    async def batch(ids: Sequence[int]) -> list[Any]:
        refs = await dependencies.direct_refs(list(ids))
        return [refs[i] for i in ids]

    refs = await loader(info.context, "target.dependsOn", batch).load(target_id)
    nodes = await asyncio.gather(
        *(
            load_target(info, ref.pk) if ref.kind == "Target" else load_group(info, ref.pk)
            for ref in refs
        )
    )
    return [n for n in nodes if n is not None]


async def load_dependents(info: Info, target_id: int) -> list[Target]:
    async def batch(ids: Sequence[int]) -> list[Any]:
        found = await dependencies.direct_dependents(list(ids))
        return [found[i] for i in ids]

    ids = await loader(info.context, "target.dependents", batch).load(target_id)
    return await load_targets(info, ids[:MAX_LISTED])


@strawberry.input(description="A new target group.")
class TargetGroupInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace it belongs to.")
    name: str = strawberry.field(description="Display name, unique in the workspace.")
    target_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Its targets (at most 500, of the same workspace)."
    )


@strawberry.input(description="Changes to a target group; omitted fields stay as they are.")
class TargetGroupPatch:
    name: str | None = strawberry.field(default=None, description="New name.")
    target_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Its targets, replacing the current ones (at most 500)."
    )


@strawberry.type(description="The result of creating or changing a target group.")
class TargetGroupPayload(MutationPayload):
    group: TargetGroup | None = strawberry.field(
        default=None, description="The group; null on failure."
    )
