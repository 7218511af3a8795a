"""Target queries: target(id), probeRegions."""

from __future__ import annotations

import strawberry

from api.core.errors import NotFound
from api.core.ids import decode
from api.graphql.context import Info
from api.graphql.permissions import requires
from api.targets import service
from api.targets.types import ProbeRegion, Target


@strawberry.type
class Query:
    @strawberry.field(
        description="A target by id; null when unknown or not yours.",
        permission_classes=[requires("targets:read")],
    )
    async def target(self, info: Info, id: strawberry.ID) -> Target | None:
        try:
            pk = decode(id, "Target")
        except NotFound:
            return None
        row = await service.get_visible(info.context.principal, pk)
        return Target.from_model(row) if row else None

    @strawberry.field(description="The regions this deployment checks from (public).")
    def probe_regions(self, info: Info) -> list[ProbeRegion]:
        codes = info.context.resources.settings.regions
        return [r for r in (ProbeRegion.of(c) for c in codes) if r]
