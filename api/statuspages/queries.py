"""Status page queries: the public page (anonymous) and a workspace's pages (members)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.core import ratelimit
from api.core.errors import RateLimited
from api.core.ids import decode_or_none
from api.graphql.context import Info
from api.graphql.permissions import requires
from api.statuspages import cache, public, service
from api.statuspages.domains import host_of
from api.statuspages.types import PublicStatusPage, StatusPage


async def enforce_public_rate_limit(info: Info) -> None:
    wait = await ratelimit.hit(
        info.context.resources.redis,
        f"statuspage:{info.context.client_ip}",
        limit=info.context.settings.status_page_rate_limit_per_minute,
        window_seconds=60,
    )
    if wait is not None:
        raise RateLimited(wait)


@strawberry.type
class Query:
    @strawberry.field(
        description="Public, no authentication: a status page by its slug. Null for an "
        "unknown slug and for a PASSWORD page without the right password (alike)."
    )
    async def status_page(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="The page's slug.")],
        password: Annotated[
            str | None, strawberry.argument(description="PASSWORD pages: the page's password.")
        ] = None,
    ) -> PublicStatusPage | None:
        await enforce_public_rate_limit(info)
        view = await cache.public_page(
            info.context.resources.redis, info.context.settings, slug=slug, password=password
        )
        return None if view is None else PublicStatusPage.of(view)

    @strawberry.field(
        description="Public, no authentication: the status page served at a custom domain "
        "its admins verified. The host matches exactly (case-insensitive; a port and a "
        "trailing dot are ignored). Null for an unknown or unverified host, as for an "
        "unknown slug."
    )
    async def status_page_by_domain(
        self,
        info: Info,
        host: Annotated[str, strawberry.argument(description="The host the visitor asked for.")],
        password: Annotated[
            str | None, strawberry.argument(description="PASSWORD pages: the page's password.")
        ] = None,
    ) -> PublicStatusPage | None:
        await enforce_public_rate_limit(info)
        domain = host_of(host)
        if domain is None:
            await public.refuse_unknown(info.context.settings, password)
            return None
        view = await cache.public_page(
            info.context.resources.redis, info.context.settings, host=domain, password=password
        )
        return None if view is None else PublicStatusPage.of(view)

    @strawberry.field(
        description="The status pages of a workspace, by slug.",
        permission_classes=[requires("targets:read")],
    )
    async def status_pages(self, info: Info, workspace_id: strawberry.ID) -> list[StatusPage]:
        pk = decode_or_none(workspace_id, "Workspace")
        if pk is None:
            return []
        rows = await service.visible_to(info.context.principal).filter(workspace_id=pk)
        return [StatusPage.from_model(r) for r in sorted(rows, key=lambda r: r.slug)]
