"""Billing queries: the public plan list."""

from __future__ import annotations

import strawberry

from api.billing.types import PlanInfo, plan_infos
from api.graphql.context import Info


@strawberry.type
class Query:
    @strawberry.field(description="Public: the plans, their limits and where they are sold.")
    def plans(self, info: Info) -> list[PlanInfo]:
        return plan_infos(info.context.settings)
