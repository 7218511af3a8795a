"""GraphQL types of workspaces."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.workspaces import models
from api.workspaces.service import visible_to


@strawberry.enum(description="A member's role in a workspace.")
class Role(Enum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


@strawberry.type(description="A team's space: it owns targets, channels and incidents.")
class Workspace(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="Display name.")
    viewer_role: Role = strawberry.field(description="The caller's role in this workspace.")

    @classmethod
    def from_model(cls, ws: models.Workspace, role: str) -> Workspace:
        return cls(pk=ws.id, name=ws.name, viewer_role=Role(role))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        principal = info.context.principal
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = {w.id: w for w in await visible_to(principal).filter(id__in=ids)}
        return [
            cls.from_model(rows[int(i)], principal.memberships[int(i)])
            if str(i).isdigit() and int(i) in rows
            else None
            for i in node_ids
        ]
