"""Status page mutations: pages (admins and owners), status updates (members)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.core.ids import decode, encode
from api.graphql.context import Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import requires
from api.statuspages import cache, notices, service, verification
from api.statuspages.models import UpdateState
from api.statuspages.types import (
    StatusPage,
    StatusPageComponentInput,
    StatusPageInput,
    StatusPagePatch,
    StatusPagePayload,
    StatusUpdate,
    StatusUpdatePayload,
)

WRITE = [requires("targets:write")]


def _components(inputs: list[StatusPageComponentInput]) -> list[service.ComponentSpec]:
    return [
        service.ComponentSpec(
            name=c.name,
            description=c.description,
            target_ids=[decode(t, "Target", field="targetIds") for t in c.target_ids],
            group=c.group,
        )
        for c in inputs
    ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a public status page (workspace admins and owners).",
        permission_classes=WRITE,
    )
    @domain_errors_in(StatusPagePayload)
    async def create_status_page(self, info: Info, input: StatusPageInput) -> StatusPagePayload:
        page = await service.create_page(
            info.context.principal,
            info.context.settings,
            workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
            slug=input.slug,
            title=input.title,
            description=input.description,
            logo_url=input.logo_url,
            components=_components(input.components),
            visibility=input.visibility,
            password=input.password,
            regions=input.regions,
            custom_domain=input.custom_domain,
            auto_show_incidents=input.auto_show_incidents,
        )
        await cache.invalidate(info.context.resources.redis, page.workspace_id)
        return StatusPagePayload(status_page=StatusPage.from_model(page))

    @strawberry.mutation(
        description="Change a status page (workspace admins and owners).", permission_classes=WRITE
    )
    @domain_errors_in(StatusPagePayload)
    async def update_status_page(
        self,
        info: Info,
        id: strawberry.ID,
        patch: Annotated[StatusPagePatch, strawberry.argument(description="What to change.")],
    ) -> StatusPagePayload:
        page = await service.update_page(
            info.context.principal,
            info.context.settings,
            decode(id, "StatusPage"),
            slug=patch.slug,
            title=patch.title,
            description=patch.description,
            logo_url=patch.logo_url or None,
            clear_logo=patch.logo_url == "",
            components=_components(patch.components) if patch.components is not None else None,
            visibility=patch.visibility,
            password=patch.password,
            regions=patch.regions,
            custom_domain=patch.custom_domain,
            auto_show_incidents=patch.auto_show_incidents,
        )
        await cache.invalidate(info.context.resources.redis, page.workspace_id)
        return StatusPagePayload(status_page=StatusPage.from_model(page))

    @strawberry.mutation(
        description="Delete a status page (workspace admins and owners).", permission_classes=WRITE
    )
    @domain_errors_in(DeletePayload)
    async def delete_status_page(self, info: Info, id: strawberry.ID) -> DeletePayload:
        page = await service._writable_page(info.context.principal, decode(id, "StatusPage"))
        pk = await service.delete_page(info.context.principal, page.id)
        await cache.invalidate(info.context.resources.redis, page.workspace_id)
        return DeletePayload(deleted_id=strawberry.ID(encode("StatusPage", pk)))

    @strawberry.mutation(
        description="Post an update on a status page (members; not viewers).",
        permission_classes=WRITE,
    )
    @domain_errors_in(StatusUpdatePayload)
    async def post_status_update(
        self,
        info: Info,
        status_page_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the status page.")
        ],
        title: Annotated[str, strawberry.argument(description="Headline (1 to 200 characters).")],
        message: Annotated[
            str, strawberry.argument(description="The text, plain (1 to 10,000 characters).")
        ],
        state: Annotated[UpdateState, strawberry.argument(description="Where it stands.")],
        incident_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The workspace's incident it is about, if any."),
        ] = None,
    ) -> StatusUpdatePayload:
        row = await service.post_update(
            info.context.principal,
            page_id=decode(status_page_id, "StatusPage", field="statusPageId"),
            incident_id=decode(incident_id, "Incident", field="incidentId")
            if incident_id
            else None,
            title=title,
            message=message,
            state=state,
        )
        await cache.invalidate_page(info.context.resources.redis, row.page_id)
        await notices.update_posted(info.context.resources, row)
        return StatusUpdatePayload(status_update=StatusUpdate.from_model(row))

    @strawberry.mutation(
        description="Check the custom domain's TXT record (_hitflow-verify.<domain> holding "
        "the page's token) and serve the page there once it matches (workspace admins and "
        "owners).",
        permission_classes=WRITE,
    )
    @domain_errors_in(StatusPagePayload)
    async def verify_status_page_domain(
        self,
        info: Info,
        status_page_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the status page.")
        ],
    ) -> StatusPagePayload:
        page = await verification.verify_domain(
            info.context.resources.redis,
            info.context.settings,
            info.context.principal,
            decode(status_page_id, "StatusPage", field="statusPageId"),
        )
        await cache.invalidate(info.context.resources.redis, page.workspace_id)
        return StatusPagePayload(status_page=StatusPage.from_model(page))
