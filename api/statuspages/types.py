"""GraphQL types of status pages: the members' view and the public, anonymous view.

The public types carry no target, URL, configuration or internal id: only what a
visitor of the page reads, and each component's own global id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay

from api.core.ids import encode
from api.graphql.context import Info
from api.graphql.nodes import resolve_scoped
from api.graphql.payloads import MutationPayload
from api.graphql.permissions import read_back
from api.statuspages import domains, models, service, view

strawberry.enum(
    models.Visibility, name="StatusPageVisibility", description="Who sees a status page."
)
strawberry.enum(
    models.UpdateState, name="StatusUpdateState", description="Where an incident stands."
)
strawberry.enum(
    view.ComponentStatus,
    name="ComponentStatus",
    description="A component's status, derived from its targets.",
)


@strawberry.type(description="A line of a status page and the targets it summarises.")
class StatusPageComponent:
    id: strawberry.ID = strawberry.field(description="Global id of the component.")
    name: str = strawberry.field(description="Name shown on the page.")
    description: str = strawberry.field(description="Text shown under the name.")
    target_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of its targets (members only; never on the public page)."
    )
    group: str | None = strawberry.field(
        default=None, description="The group it is shown in on the page; null for none."
    )

    @classmethod
    def from_model(cls, row: models.StatusPageComponent) -> StatusPageComponent:
        return cls(
            id=strawberry.ID(encode("StatusPageComponent", row.id)),
            name=row.name,
            description=row.description,
            group=row.group,
            target_ids=[strawberry.ID(encode("Target", t)) for t in row.target_ids],
        )


@strawberry.type(description="How an admin proves control of a status page's custom domain.")
class DomainVerification:
    domain: str = strawberry.field(description="The custom domain.")
    record_name: str = strawberry.field(
        description="Name of the DNS TXT record to create: _hitflow-verify.<domain>."
    )
    record_value: str = strawberry.field(description="The value that TXT record must hold.")
    verified: bool = strawberry.field(
        description="Whether the record was seen: the page is served at the domain."
    )
    verified_at: datetime | None = strawberry.field(description="When it was verified.")


@strawberry.type(description="A status page, as its workspace's members see it.")
class StatusPage(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    slug: str = strawberry.field(description="Its address: /status/{slug}.")
    title: str = strawberry.field(description="Title shown on the page.")
    description: str = strawberry.field(description="Text shown under the title.")
    logo_url: str | None = strawberry.field(description="https URL of the logo.")
    visibility: models.Visibility = strawberry.field(description="Who sees the page.")
    regions: list[str] = strawberry.field(
        description="Regions whose checks make the uptime bars; empty for all."
    )
    custom_domain: str | None = strawberry.field(
        default=None,
        description="The custom domain an admin set; the page answers there once verified.",
    )
    custom_domain_verified: bool = strawberry.field(
        default=False, description="Whether the custom domain was verified (and is served)."
    )
    auto_show_incidents: bool = strawberry.field(
        default=True,
        description="Whether incidents opened by monitoring show on the page by themselves, "
        "with a default text.",
    )
    workspace_pk: strawberry.Private[int] = 0
    domain_token: strawberry.Private[str | None] = None
    domain_verified_at: strawberry.Private[datetime | None] = None

    @classmethod
    def from_model(cls, row: models.StatusPage) -> StatusPage:
        return cls(
            pk=row.id,
            custom_domain=row.custom_domain,
            custom_domain_verified=row.custom_domain is not None
            and row.verified_domain == row.custom_domain,
            auto_show_incidents=row.auto_show_incidents,
            workspace_pk=row.workspace_id,
            domain_token=row.domain_token,
            domain_verified_at=row.domain_verified_at,
            slug=row.slug,
            title=row.title,
            description=row.description,
            logo_url=row.logo_url,
            visibility=row.visibility,
            regions=list(row.regions or []),
        )

    @strawberry.field(
        description="The TXT record that proves control of the custom domain (admins and "
        "owners only; null for others and without a custom domain)."
    )
    def domain_verification(self, info: Info) -> DomainVerification | None:
        if self.custom_domain is None or self.domain_token is None:
            return None
        if not info.context.principal.can_admin(self.workspace_pk):
            return None
        return DomainVerification(
            domain=self.custom_domain,
            record_name=domains.record_name(self.custom_domain),
            record_value=self.domain_token,
            verified=self.custom_domain_verified,
            verified_at=self.domain_verified_at if self.custom_domain_verified else None,
        )

    @strawberry.field(description="Its components, in page order.")
    async def components(self) -> list[StatusPageComponent]:
        return [StatusPageComponent.from_model(c) for c in await service.page_components(self.pk)]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info, node_ids, scope="targets:read", query=service.visible_to, to_node=cls.from_model
        )


@strawberry.type(description="A message about an incident or the service, posted by a member.")
class StatusUpdate:
    title: str = strawberry.field(description="Headline.")
    message: str = strawberry.field(description="The text (plain text).")
    state: models.UpdateState = strawberry.field(description="Where the incident stands.")
    posted_at: datetime = strawberry.field(description="When it was posted.")

    @classmethod
    def from_model(cls, row: models.StatusUpdate | view.PublicUpdate) -> StatusUpdate:
        return cls(title=row.title, message=row.message, state=row.state, posted_at=row.posted_at)


@strawberry.type(description="A component's average response time over one hour.")
class ResponseTimePoint:
    hour: datetime = strawberry.field(description="Start of the hour (UTC).")
    average_ms: float | None = strawberry.field(
        description="Average response time in milliseconds; null without timed checks."
    )


@strawberry.type(description="A named group of components on the public page.")
class PublicComponentGroup:
    name: str = strawberry.field(description="The group's name.")
    status: view.ComponentStatus = strawberry.field(
        description="The worst status of its components."
    )
    component_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of its components, in page order."
    )


@strawberry.type(description="A maintenance window in progress or scheduled.")
class PublicMaintenance:
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends.")
    in_progress: bool = strawberry.field(description="Whether it has started.")
    component_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the components it concerns."
    )


@strawberry.type(description="One day of a component's uptime bar.")
class UptimeDay:
    date: date = strawberry.field(description="The day (UTC).")
    uptime: float | None = strawberry.field(
        description="Share of successful checks, 0 to 1; null without checks that day "
        "(checks inside maintenance windows do not count)."
    )
    maintenance: bool = strawberry.field(
        description="Whether a maintenance window of the component's targets touched the day."
    )


@strawberry.type(description="A component on the public page.")
class PublicComponent:
    id: strawberry.ID = strawberry.field(description="Global id of the component.")
    name: str = strawberry.field(description="Name.")
    description: str = strawberry.field(description="Text shown under the name.")
    status: view.ComponentStatus = strawberry.field(description="Current status.")
    uptime_days: list[UptimeDay] = strawberry.field(
        description="The last 90 days, oldest first, today last (from the daily rollups)."
    )
    group: str | None = strawberry.field(
        default=None, description="The group it is shown in; null for none."
    )
    response_time_ms: float | None = strawberry.field(
        default=None,
        description="Average response time of the last 24 hours, in milliseconds; null "
        "without timed checks.",
    )
    response_times: list[ResponseTimePoint] = strawberry.field(
        default_factory=list,
        description="The last 24 hours, one point per hour, oldest first (hourly rollups).",
    )


@strawberry.type(description="An outage of one or more components, open or recently resolved.")
class PublicIncident:
    component_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the components it affects."
    )
    started_at: datetime = strawberry.field(description="When it started.")
    resolved_at: datetime | None = strawberry.field(description="When it ended; null if open.")
    updates: list[StatusUpdate] = strawberry.field(description="Its updates, newest first.")


@strawberry.type(description="A status page as its visitors see it (no authentication).")
class PublicStatusPage:
    title: str = strawberry.field(description="Title.")
    description: str = strawberry.field(description="Text shown under the title.")
    logo_url: str | None = strawberry.field(description="https URL of the logo.")
    status: view.ComponentStatus = strawberry.field(
        description="Overall status: the worst of the components'."
    )
    components: list[PublicComponent] = strawberry.field(description="Components, in order.")
    incidents: list[PublicIncident] = strawberry.field(
        description="Open incidents and those resolved in the last 7 days, newest first."
    )
    updates: list[StatusUpdate] = strawberry.field(
        description="The latest 50 updates of the page, newest first."
    )
    groups: list[PublicComponentGroup] = strawberry.field(
        default_factory=list,
        description="The named groups of components, in the order of their first component.",
    )
    maintenance: list[PublicMaintenance] = strawberry.field(
        default_factory=list,
        description="Maintenance in progress or starting within 30 days, soonest first.",
    )

    @classmethod
    def of(cls, page: view.PublicPage) -> PublicStatusPage:
        def cid(pk: int) -> strawberry.ID:
            return strawberry.ID(encode("StatusPageComponent", pk))

        return cls(
            title=page.title,
            description=page.description,
            logo_url=page.logo_url,
            status=page.status,
            components=[
                PublicComponent(
                    id=cid(c.id),
                    name=c.name,
                    description=c.description,
                    status=c.status,
                    uptime_days=[
                        UptimeDay(date=b.day, uptime=b.uptime, maintenance=b.maintenance)
                        for b in c.bars
                    ],
                    group=c.group,
                    response_time_ms=c.response_time_ms,
                    response_times=[
                        ResponseTimePoint(hour=p.hour, average_ms=p.average_ms)
                        for p in c.response_times
                    ],
                )
                for c in page.components
            ],
            incidents=[
                PublicIncident(
                    component_ids=[cid(pk) for pk in i.component_ids],
                    started_at=i.started_at,
                    resolved_at=i.resolved_at,
                    updates=[StatusUpdate.from_model(u) for u in i.updates],
                )
                for i in page.incidents
            ],
            updates=[StatusUpdate.from_model(u) for u in page.updates],
            groups=[
                PublicComponentGroup(
                    name=g.name, status=g.status, component_ids=[cid(pk) for pk in g.component_ids]
                )
                for g in page.groups
            ],
            maintenance=[
                PublicMaintenance(
                    starts_at=m.starts_at,
                    ends_at=m.ends_at,
                    in_progress=m.in_progress,
                    component_ids=[cid(pk) for pk in m.component_ids],
                )
                for m in page.maintenance
            ],
        )


@strawberry.input(description="A component of a status page.")
class StatusPageComponentInput:
    name: str = strawberry.field(description="Name shown on the page (1 to 100 characters).")
    description: str = strawberry.field(default="", description="Text shown under the name.")
    target_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of 1 to 50 targets of the page's workspace."
    )
    group: str | None = strawberry.field(
        default=None,
        description="Name of the group to show it in (1 to 100 characters); null for none.",
    )


@strawberry.input(description="A new status page.")
class StatusPageInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    slug: str = strawberry.field(
        description="Its address: 1 to 64 lower-case letters, digits and inner hyphens; unique."
    )
    title: str = strawberry.field(description="Title (1 to 200 characters).")
    description: str = strawberry.field(default="", description="Text under the title.")
    logo_url: str | None = strawberry.field(default=None, description="An https URL.")
    components: list[StatusPageComponentInput] = strawberry.field(
        description="Its components, in page order."
    )
    visibility: models.Visibility = strawberry.field(
        default=models.Visibility.PUBLIC, description="Who sees the page."
    )
    password: str | None = strawberry.field(
        default=None, description="PASSWORD pages: the password visitors give (8 to 200)."
    )
    regions: list[str] = strawberry.field(
        default_factory=list, description="Regions whose checks make the uptime bars; [] = all."
    )
    custom_domain: str | None = strawberry.field(
        default=None,
        description="A domain to serve the page at (like status.example.com), once verified "
        "with a TXT record; unique across pages.",
    )
    auto_show_incidents: bool = strawberry.field(
        default=True,
        description="Show incidents opened by monitoring by themselves, with a default text.",
    )


@strawberry.input(description="Changes to a status page; omitted fields stay as they are.")
class StatusPagePatch:
    slug: str | None = strawberry.field(default=None, description="New address.")
    title: str | None = strawberry.field(default=None, description="New title.")
    description: str | None = strawberry.field(default=None, description="New description.")
    logo_url: str | None = strawberry.field(
        default=None, description="New https logo URL; an empty string removes it."
    )
    components: list[StatusPageComponentInput] | None = strawberry.field(
        default=None, description="Replaces the whole list of components."
    )
    visibility: models.Visibility | None = strawberry.field(
        default=None, description="New visibility."
    )
    password: str | None = strawberry.field(
        default=None, description="New password (needed when switching to PASSWORD)."
    )
    regions: list[str] | None = strawberry.field(default=None, description="New region list.")
    custom_domain: str | None = strawberry.field(
        default=None,
        description="New custom domain (it must be verified again); an empty string removes it.",
    )
    auto_show_incidents: bool | None = strawberry.field(
        default=None, description="Show monitoring's incidents by themselves, or not."
    )


@strawberry.type(description="The answer of createStatusPage and updateStatusPage.")
class StatusPagePayload(MutationPayload):
    status_page: StatusPage | None = strawberry.field(
        default=None,
        description="The page; null for a credential without targets:read.",
        extensions=read_back("targets:read"),
    )


@strawberry.type(description="The answer of postStatusUpdate.")
class StatusUpdatePayload(MutationPayload):
    status_update: StatusUpdate | None = strawberry.field(
        default=None, description="The update as posted."
    )
