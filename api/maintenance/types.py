"""GraphQL types of maintenance windows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.core.ids import encode
from api.graphql.context import Info
from api.graphql.nodes import resolve_scoped
from api.graphql.payloads import MutationPayload
from api.graphql.permissions import read_back
from api.maintenance import models, service


@strawberry.type(description="A period during which alerts are held back (planned work).")
class MaintenanceWindow(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="What the work is.")
    target_id: strawberry.ID | None = strawberry.field(
        description="The target it covers; null for every target of the workspace."
    )
    starts_at: datetime = strawberry.field(description="Start (of the first occurrence if weekly).")
    ends_at: datetime = strawberry.field(description="End (of the first occurrence if weekly).")
    weekly: bool = strawberry.field(description="Whether it repeats every week.")
    weekdays: list[int] = strawberry.field(
        description="Weekly windows: days it repeats on, 0 = Monday (default: startsAt's day)."
    )
    until: datetime | None = strawberry.field(description="Weekly windows: last possible start.")

    @classmethod
    def from_model(cls, row: models.MaintenanceWindow) -> MaintenanceWindow:
        return cls(
            pk=row.id,
            name=row.name,
            target_id=strawberry.ID(encode("Target", row.target_id)) if row.target_id else None,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            weekly=row.weekly,
            weekdays=list(row.weekdays or []),
            until=row.until,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info, node_ids, scope="alerts:read", query=service.visible_to, to_node=cls.from_model
        )


async def workspace_windows(info: Info, workspace_id: int) -> list[MaintenanceWindow]:
    rows = await service.visible_to(info.context.principal).filter(workspace_id=workspace_id)
    return [MaintenanceWindow.from_model(r) for r in sorted(rows, key=lambda r: r.starts_at)]


@strawberry.input(description="A new maintenance window.")
class MaintenanceWindowInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="One target; omit for every target of the workspace."
    )
    name: str = strawberry.field(default="", description="What the work is.")
    starts_at: datetime = strawberry.field(description="Start, with a time zone.")
    ends_at: datetime = strawberry.field(description="End, with a time zone.")
    weekly: bool = strawberry.field(default=False, description="Repeat every week.")
    weekdays: list[int] | None = strawberry.field(
        default=None, description="Weekly: days to repeat on, 0 = Monday."
    )
    until: datetime | None = strawberry.field(
        default=None, description="Weekly: stop repeating (with a time zone)."
    )


@strawberry.type(description="The answer of createMaintenanceWindow.")
class MaintenanceWindowPayload(MutationPayload):
    maintenance_window: MaintenanceWindow | None = strawberry.field(
        default=None,
        description="The window; null for a credential without alerts:read.",
        extensions=read_back("alerts:read"),
    )
