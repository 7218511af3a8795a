"""GraphQL types of incidents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.core.errors import DomainError
from api.graphql.context import Info
from api.graphql.errors import InvalidArgument
from api.graphql.loaders import by_key, loader
from api.graphql.nodes import resolve_scoped
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import requires
from api.incidents import models, service
from api.incidents.models import IncidentCause
from api.notifications.service import notifications_visible_to
from api.notifications.types import Notification
from api.targets.types import Target, load_target, load_targets

strawberry.enum(
    IncidentCause,
    description="Why an incident is open: its target failed (DIRECT, alerted) or a "
    "dependency of it was down (UPSTREAM, attached to that incident, not alerted).",
)


@strawberry.type(description="A period during which a target was DOWN, and what was sent about it.")
class Incident(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    started_at: datetime = strawberry.field(description="When the target went down.")
    resolved_at: datetime | None = strawberry.field(
        description="When it came back; null while open."
    )
    cause: str = strawberry.field(description="The first failing error.")
    regions: list[str] = strawberry.field(description="The regions that saw it down.")
    cause_kind: IncidentCause = strawberry.field(
        description="DIRECT, or UPSTREAM when a dependency was down (see upstream)."
    )
    target_id: strawberry.Private[int]
    upstream_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Incident) -> Incident:
        return cls(
            pk=row.id,
            started_at=row.started_at,
            resolved_at=row.resolved_at,
            cause=row.cause,
            regions=list(row.regions or []),
            cause_kind=IncidentCause(str(row.cause_kind)),
            target_id=row.target_id,
            upstream_id=row.upstream_id,
        )

    @strawberry.field(description="Seconds it lasted (until now while open).")
    def duration_seconds(self) -> float:
        from api.core import clock

        end = self.resolved_at or clock.now()
        return max((end - self.started_at).total_seconds(), 0.0)

    @strawberry.field(
        description="The target that went down (needs the targets:read scope).",
        permission_classes=[requires("targets:read")],
    )
    async def target(self, info: Info) -> Target | None:
        return await load_target(info, self.target_id)

    @strawberry.field(
        description="UPSTREAM incidents: the incident of the dependency that was down."
    )
    async def upstream(self, info: Info) -> Incident | None:
        if self.upstream_id is None:
            return None
        principal = info.context.principal

        async def batch(ids: Sequence[int]) -> list[Any]:
            rows = await service.visible_to(principal).filter(id__in=list(ids))
            return by_key(rows, ids)

        row = await loader(info.context, "incident.byId", batch).load(self.upstream_id)
        return Incident.from_model(row) if row else None

    @strawberry.field(
        description="The dependents attached to this incident (UPSTREAM incidents of "
        "targets depending on this one), by name; needs the targets:read scope.",
        permission_classes=[requires("targets:read")],
    )
    async def affected_targets(self, info: Info) -> list[Target]:
        principal = info.context.principal

        async def batch(ids: Sequence[int]) -> list[list[int]]:
            rows = (
                await service.visible_to(principal)
                .filter(upstream_id__in=list(ids))
                .order_by("target__name", "target_id")
                .values_list("upstream_id", "target_id")
            )
            grouped: dict[int, list[int]] = {i: [] for i in ids}
            for upstream_id, target_id in rows:
                if target_id not in grouped[upstream_id] and len(grouped[upstream_id]) < 100:
                    grouped[upstream_id].append(target_id)
            return [grouped[i] for i in ids]

        ids = await loader(info.context, "incident.affected", batch).load(self.pk)
        return await load_targets(info, ids)

    @strawberry.field(
        description="Deliveries made about this incident, oldest first (at most the first 100)."
    )
    async def notifications(self, info: Info) -> list[Notification]:
        principal = info.context.principal

        async def batch(ids: Sequence[int]) -> list[list[Any]]:
            rows = (
                await notifications_visible_to(principal)
                .filter(event__incident_id__in=list(ids))
                .prefetch_related("event")
                .order_by("id")
            )
            grouped: dict[int | None, list[Any]] = {i: [] for i in ids}
            for row in rows:
                group = grouped[row.event.incident_id]
                if len(group) < MAX_NOTIFICATIONS:
                    group.append(row)
            return [grouped[i] for i in ids]

        rows = await loader(info.context, "incident.notifications", batch).load(self.pk)
        return [Notification.from_model(r) for r in rows]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info, node_ids, scope="alerts:read", query=service.visible_to, to_node=cls.from_model
        )


MAX_NOTIFICATIONS = 100
"""Incident.notifications answers at most this many deliveries."""


@strawberry.type(name="IncidentConnection", description="A page of incidents.")
class IncidentConnection(Connection[Incident]):
    pass


async def incident_page(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    **filters: Any,
) -> IncidentConnection:
    query = service.visible_to(info.context.principal).filter(**filters)
    try:
        page = await paginate(
            query, first=first, after=after, last=last, before=before, to_node=Incident.from_model
        )
    except DomainError as exc:
        raise InvalidArgument(exc.message, argument=exc.field) from None
    return IncidentConnection(
        edges=page.edges, page_info=page.page_info, total_count=page.total_count
    )


async def workspace_incidents(
    info: Info, workspace_id: int, *, open: bool | None, **page: Any
) -> IncidentConnection:
    filters: dict[str, Any] = {"workspace_id": workspace_id}
    if open is not None:
        filters["resolved_at__isnull"] = open
    return await incident_page(info, **page, **filters)


async def target_incidents(info: Info, target_id: int, **page: Any) -> IncidentConnection:
    return await incident_page(info, **page, target_id=target_id)
