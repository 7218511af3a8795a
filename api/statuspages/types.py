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
from api.statuspages import models, service

strawberry.enum(
    models.Visibility, name="StatusPageVisibility", description="Who sees a status page."
)
strawberry.enum(
    models.UpdateState, name="StatusUpdateState", description="Where an incident stands."
)
strawberry.enum(
    service.ComponentStatus,
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

    @classmethod
    def from_model(cls, row: models.StatusPageComponent) -> StatusPageComponent:
        return cls(
            id=strawberry.ID(encode("StatusPageComponent", row.id)),
            name=row.name,
            description=row.description,
            target_ids=[strawberry.ID(encode("Target", t)) for t in row.target_ids],
        )


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

    @classmethod
    def from_model(cls, row: models.StatusPage) -> StatusPage:
        return cls(
            pk=row.id,
            slug=row.slug,
            title=row.title,
            description=row.description,
            logo_url=row.logo_url,
            visibility=row.visibility,
            regions=list(row.regions or []),
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
    def from_model(cls, row: models.StatusUpdate) -> StatusUpdate:
        return cls(title=row.title, message=row.message, state=row.state, posted_at=row.posted_at)


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
    status: service.ComponentStatus = strawberry.field(description="Current status.")
    uptime_days: list[UptimeDay] = strawberry.field(
        description="The last 90 days, oldest first, today last (from the daily rollups)."
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
    status: service.ComponentStatus = strawberry.field(
        description="Overall status: the worst of the components'."
    )
    components: list[PublicComponent] = strawberry.field(description="Components, in order.")
    incidents: list[PublicIncident] = strawberry.field(
        description="Open incidents and those resolved in the last 7 days, newest first."
    )
    updates: list[StatusUpdate] = strawberry.field(
        description="The latest 50 updates of the page, newest first."
    )

    @classmethod
    def of(cls, view: service.PublicPage) -> PublicStatusPage:
        def cid(pk: int) -> strawberry.ID:
            return strawberry.ID(encode("StatusPageComponent", pk))

        return cls(
            title=view.page.title,
            description=view.page.description,
            logo_url=view.page.logo_url,
            status=view.status,
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
                )
                for c in view.components
            ],
            incidents=[
                PublicIncident(
                    component_ids=[cid(pk) for pk in i.component_ids],
                    started_at=i.started_at,
                    resolved_at=i.resolved_at,
                    updates=[StatusUpdate.from_model(u) for u in i.updates],
                )
                for i in view.incidents
            ],
            updates=[StatusUpdate.from_model(u) for u in view.updates],
        )


@strawberry.input(description="A component of a status page.")
class StatusPageComponentInput:
    name: str = strawberry.field(description="Name shown on the page (1 to 100 characters).")
    description: str = strawberry.field(default="", description="Text shown under the name.")
    target_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of 1 to 50 targets of the page's workspace."
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
