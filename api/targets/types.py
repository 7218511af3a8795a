"""GraphQL types of targets (queries and mutations map these from the service)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.relay import PageInfo
from strawberry.scalars import JSON

from api.core.errors import DomainError
from api.core.ids import decode
from api.core.regions import REGIONS
from api.graphql.context import Info
from api.graphql.errors import InvalidArgument
from api.graphql.loaders import by_key, loader
from api.graphql.nodes import resolve_scoped
from api.graphql.pagination import Connection, Edge, paginate
from api.graphql.payloads import MutationPayload
from api.graphql.permissions import may_read_credential, read_back, requires
from api.results import service as results
from api.results.stats import target_stats
from api.results.types import CheckResult, CheckResultConnection, TargetStats
from api.targets import models, service
from api.targets.config_types import TargetConfig, TargetConfigInput, config_output
from api.targets.models import TargetKind, TargetStatus
from api.targets.pings import HEARTBEAT_REGION

if TYPE_CHECKING:
    from api.incidents.types import IncidentConnection
    from api.targets.graph_types import TargetDependencyNode, TargetGroup

# strawberry.enum marks the model enum itself as the GraphQL enum (one class, one set of values).
strawberry.enum(TargetKind, description="What a target is and how it is checked.")
strawberry.enum(TargetStatus, description="The overall status of a target.")


@strawberry.type(description="A place probes check from.")
class ProbeRegion:
    code: str = strawberry.field(description="Region code, e.g. eu-west.")
    name: str = strawberry.field(description="City or area.")
    continent: str = strawberry.field(description="Continent.")

    @classmethod
    def of(cls, code: str) -> ProbeRegion | None:
        region = REGIONS.get(code)
        return (
            cls(code=region.code, name=region.name, continent=region.continent) if region else None
        )


def _public_policy(policy: dict[str, Any] | None) -> JSON | None:
    if policy is None:
        return None
    out = dict(policy)
    out["channelIds"] = [
        str(relay.GlobalID("AlertChannel", str(i))) for i in policy.get("channelIds") or []
    ]
    return JSON(out)


@strawberry.type(description="A website or server that Hitflow checks.")
class Target(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="Display name.")
    kind: TargetKind = strawberry.field(description="How it is checked.")
    status: TargetStatus = strawberry.field(description="Overall status.")
    status_changed_at: datetime | None = strawberry.field(
        description="When the status last changed."
    )
    interval_seconds: int = strawberry.field(
        description="Seconds between checks (heartbeat period)."
    )
    timeout_seconds: float = strawberry.field(description="Seconds a check may take.")
    config: JSON = strawberry.field(
        description="Kind-specific settings; secrets read ********.",
        deprecation_reason="Use typedConfig (typed per kind); config goes in a later release.",
    )
    alert_policy: JSON | None = strawberry.field(
        description="Which channels are notified, and on what (channelIds are global ids)."
    )
    created_at: datetime = strawberry.field(description="When the target was created.")
    model: strawberry.Private[Any]

    @strawberry.field(description="Kind-specific settings, typed; secrets read ********.")
    def typed_config(self) -> TargetConfig:
        return config_output(self.kind, self.model.config or {})

    @classmethod
    def from_model(cls, row: models.Target) -> Target:
        return cls(
            pk=row.id,
            name=row.name,
            kind=TargetKind(str(row.kind)),
            status=TargetStatus(str(row.status)),
            status_changed_at=row.status_changed_at,
            interval_seconds=row.interval_seconds,
            timeout_seconds=row.timeout_seconds,
            config=JSON(row.config),
            alert_policy=_public_policy(row.alert_policy),
            created_at=row.created_at,
            model=row,
        )

    @strawberry.field(description="The regions it is checked from.")
    def regions(self) -> list[ProbeRegion]:
        return [r for r in (ProbeRegion.of(c) for c in self.model.regions or []) if r]

    @strawberry.field(
        description=(
            "HEARTBEAT targets: the URL their jobs call (GET, POST or HEAD). It is a write "
            "credential: null unless the caller may change the target (OWNER, ADMIN, MEMBER) "
            "with a credential holding targets:write."
        )
    )
    def heartbeat_url(self, info: Info) -> str | None:
        principal = info.context.principal
        if not may_read_credential(principal, self.model.workspace_id, "targets:write"):
            return None
        resources = info.context.resources
        return service.heartbeat_url(resources.settings, resources.keyring, self.model)

    @strawberry.field(
        description="The newest check result.", permission_classes=[requires("results:read")]
    )
    async def last_result(self, info: Info) -> CheckResult | None:
        row = await loader(info.context, "target.lastResult", results.latest_results).load(self.pk)
        return CheckResult.from_model(row) if row else None

    @strawberry.field(
        description="Check results, newest first.", permission_classes=[requires("results:read")]
    )
    async def results(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        region: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> CheckResultConnection:
        try:
            page = await results.result_page(
                self.pk,
                first=first,
                after=after,
                since=since,
                until=until,
                region=region,
                last=last,
                before=before,
            )
        except DomainError as exc:
            raise InvalidArgument(exc.message, argument=exc.field) from None
        edges = [
            Edge(cursor=results.encode_cursor(r), node=CheckResult.from_model(r)) for r in page.rows
        ]
        return CheckResultConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )

    @strawberry.field(
        description="Uptime and latency over a window (up to a year; until defaults to now).",
        permission_classes=[requires("results:read")],
    )
    async def stats(
        self, since: datetime, until: datetime | None = None, region: str | None = None
    ) -> TargetStats:
        if region is not None and region not in REGIONS and region != HEARTBEAT_REGION:
            raise InvalidArgument(f"Unknown region {region!r}.", argument="region")
        try:
            stats = await target_stats(self.pk, since, until, region)
        except DomainError as exc:
            raise InvalidArgument(exc.message, argument=exc.field) from None
        return TargetStats.from_stats(stats)

    @strawberry.field(
        description="Incidents of this target, newest first.",
        permission_classes=[requires("alerts:read")],
    )
    async def incidents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Annotated[IncidentConnection, strawberry.lazy("api.incidents.types")]:
        from api.incidents.types import target_incidents  # logic in api/incidents

        return await target_incidents(
            info, self.pk, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="The groups it belongs to, by name.",
        permission_classes=[requires("targets:read")],
    )
    async def groups(
        self, info: Info
    ) -> list[Annotated[TargetGroup, strawberry.lazy("api.targets.graph_types")]]:
        from api.targets.graph_types import load_groups_of

        return await load_groups_of(info, self.pk)

    @strawberry.field(
        description="What it depends on directly (targets and groups), in the order set.",
        permission_classes=[requires("targets:read")],
    )
    async def depends_on(
        self, info: Info
    ) -> list[Annotated[TargetDependencyNode, strawberry.lazy("api.targets.graph_types")]]:
        from api.targets.graph_types import load_depends_on

        return await load_depends_on(info, self.pk)

    @strawberry.field(
        description="The targets that depend on it directly (also through a group; at most 100).",
        permission_classes=[requires("targets:read")],
    )
    async def dependents(self, info: Info) -> list[Target]:
        from api.targets.graph_types import load_dependents

        return await load_dependents(info, self.pk)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info, node_ids, scope="targets:read", query=service.visible_to, to_node=cls.from_model
        )


@strawberry.type(name="TargetConnection", description="A page of targets.")
class TargetConnection(Connection[Target]):
    pass


async def load_target(info: Info, target_id: int) -> Target | None:
    """A visible target by pk through the request's loader (null when not visible)."""
    principal = info.context.principal

    async def batch(ids: list[int]) -> list[Any]:
        rows = await service.visible_to(principal).filter(id__in=list(ids))
        return by_key(rows, ids)

    row = await loader(info.context, "target.byId", batch).load(target_id)
    return Target.from_model(row) if row else None


async def load_targets(info: Info, target_ids: list[int]) -> list[Target]:
    """Visible targets by pk, in order, in one batch (invisible ones dropped)."""
    found = await asyncio.gather(*(load_target(info, pk) for pk in target_ids))
    return [t for t in found if t is not None]


async def workspace_targets(
    info: Info,
    workspace_id: int,
    *,
    first: int | None,
    after: str | None,
    status: TargetStatus | None,
    search: str | None,
) -> TargetConnection:
    query = service.workspace_targets(
        info.context.principal,
        workspace_id,
        status=status.value if status else None,
        search=search,
    )
    try:
        page = await paginate(query, first=first, after=after, to_node=Target.from_model)
    except DomainError as exc:
        raise InvalidArgument(exc.message, argument=exc.field) from None
    return TargetConnection(
        edges=page.edges, page_info=page.page_info, total_count=page.total_count
    )


@strawberry.input(description="Which channels a target notifies, and on what.")
class AlertPolicyInput:
    channel_ids: list[strawberry.ID] = strawberry.field(description="Alert channels to notify.")
    notify_on: list[TargetStatus] | None = strawberry.field(
        default_factory=lambda: [TargetStatus.DOWN, TargetStatus.UP],
        description="Statuses that notify (DOWN, UP, DEGRADED).",
    )
    remind_every_minutes: int | None = strawberry.field(
        default=None, description="Repeat the DOWN alert this often while it lasts."
    )
    certificate_expiry_days: list[int] | None = strawberry.field(
        default=None, description="Warn this many days before a certificate expires."
    )
    down_confirm_regions: int | None = strawberry.field(
        default=None, description="Regions that must agree before DOWN (default: a majority)."
    )
    retries: int | None = strawberry.field(
        default=1, description="Consecutive failures per region before it counts as DOWN."
    )

    def to_raw(self, *, field: str) -> dict[str, Any]:
        """The policy as `policy.parse_policy` takes it (camelCase, channel pks), set keys only.

        `field` names the argument in errors: "alertPolicy" on a target, "policy" as the
        workspace default. The service checks that the channels are the workspace's.
        """
        ids_field = f"{field}.channelIds"
        raw: dict[str, Any] = {
            "channelIds": [decode(i, "AlertChannel", field=ids_field) for i in self.channel_ids],
            "notifyOn": [s.value for s in self.notify_on] if self.notify_on is not None else None,
            "remindEveryMinutes": self.remind_every_minutes,
            "certificateExpiryDays": self.certificate_expiry_days,
            "downConfirmRegions": self.down_confirm_regions,
            "retries": self.retries,
        }
        return {k: v for k, v in raw.items() if v is not None}


@strawberry.input(description="A new target.")
class TargetInput:
    workspace_id: strawberry.ID = strawberry.field(description="The owning workspace.")
    name: str = strawberry.field(description="Display name.")
    kind: TargetKind = strawberry.field(description="How it is checked.")
    config: JSON | None = strawberry.field(
        default=None,
        description="Kind-specific settings as JSON (see docs/targets.md).",
        deprecation_reason="Use typedConfig; config goes in a later release.",
    )
    typed_config: TargetConfigInput | None = strawberry.field(
        default=None, description="Kind-specific settings: the field named for the kind."
    )
    interval_seconds: int = strawberry.field(default=60, description="Seconds between checks.")
    timeout_seconds: float | None = strawberry.field(
        default=None,
        description="Seconds a check may take; default 10, or 80 % of a shorter interval.",
    )
    regions: list[str] | None = strawberry.field(
        default=None, description="Region codes; default: every region served."
    )
    alert_policy: AlertPolicyInput | None = strawberry.field(
        default=None, description="Who is notified, and on what."
    )


@strawberry.input(description="Changes to a target: only the fields sent change.")
class TargetPatch:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    config: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="The whole new config; a secret sent as ******** or left out is kept.",
        deprecation_reason="Use typedConfig; config goes in a later release.",
    )
    typed_config: TargetConfigInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The whole new settings; a secret sent as ******** or left out is kept.",
    )
    interval_seconds: int | None = strawberry.field(
        default=strawberry.UNSET, description="Seconds between checks."
    )
    timeout_seconds: float | None = strawberry.field(
        default=strawberry.UNSET, description="Seconds a check may take."
    )
    regions: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Region codes."
    )
    alert_policy: AlertPolicyInput | None = strawberry.field(
        default=strawberry.UNSET, description="Who is notified; null removes the policy."
    )


@strawberry.type(description="The answer of a target mutation.")
class TargetPayload(MutationPayload):
    target: Target | None = strawberry.field(
        default=None,
        description="The target, on success; null for a credential without targets:read.",
        extensions=read_back("targets:read"),
    )
