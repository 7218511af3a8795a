"""Maintenance window mutations."""

from __future__ import annotations

import strawberry

from api.core.ids import decode, encode
from api.graphql.context import Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import requires
from api.maintenance import service
from api.maintenance.types import (
    MaintenanceWindow,
    MaintenanceWindowInput,
    MaintenanceWindowPayload,
)
from api.statuspages import notices

WRITE = [requires("alerts:write")]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Plan a maintenance window: no alerts inside it.", permission_classes=WRITE
    )
    @domain_errors_in(MaintenanceWindowPayload)
    async def create_maintenance_window(
        self, info: Info, input: MaintenanceWindowInput
    ) -> MaintenanceWindowPayload:
        row = await service.create_window(
            info.context.principal,
            workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
            target_id=decode(input.target_id, "Target", field="targetId")
            if input.target_id
            else None,
            name=input.name,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            weekly=input.weekly,
            weekdays=input.weekdays,
            until=input.until,
        )
        await notices.maintenance_created(info.context.resources, row)
        return MaintenanceWindowPayload(maintenance_window=MaintenanceWindow.from_model(row))

    @strawberry.mutation(description="Delete a maintenance window.", permission_classes=WRITE)
    @domain_errors_in(DeletePayload)
    async def delete_maintenance_window(self, info: Info, id: strawberry.ID) -> DeletePayload:
        pk = await service.delete_window(info.context.principal, decode(id, "MaintenanceWindow"))
        return DeletePayload(deleted_id=strawberry.ID(encode("MaintenanceWindow", pk)))
