"""rotateBadgeToken: issue (or replace) a target's badge token; the token is shown once."""

from __future__ import annotations

import strawberry

from api.badges import service
from api.core.ids import decode
from api.graphql.context import Info
from api.graphql.payloads import MutationPayload, domain_errors_in
from api.graphql.permissions import requires


@strawberry.type(description="A new badge token and the badge URLs built from it.")
class BadgeTokenPayload(MutationPayload):
    token: str | None = strawberry.field(
        default=None,
        description="The badge token: shown this once (only its hash is stored). "
        "Anyone with it can see the target's badges.",
    )
    status_url: str | None = strawberry.field(
        default=None, description="URL of the status badge (SVG)."
    )
    uptime_url: str | None = strawberry.field(
        default=None, description="URL of the uptime badge (SVG); add ?period=24h|7d|30d|90d."
    )
    response_url: str | None = strawberry.field(
        default=None,
        description="URL of the average response time badge (SVG); add ?period=24h|7d|30d|90d.",
    )
    shields_url: str | None = strawberry.field(
        default=None,
        description="URL of the shields.io endpoint JSON; add ?kind=status|uptime|response "
        "and ?period=.",
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Issue a new badge token for a target; the previous one stops working "
        "(within the badge cache time, a minute by default). OWNER, ADMIN or MEMBER.",
        permission_classes=[requires("targets:write")],
    )
    @domain_errors_in(BadgeTokenPayload)
    async def rotate_badge_token(self, info: Info, target_id: strawberry.ID) -> BadgeTokenPayload:
        resources = info.context.resources
        token = await service.rotate_token(
            resources.redis,
            info.context.principal,
            decode(target_id, "Target", field="targetId"),
        )
        url = {
            k: service.badge_url(resources.settings, token, k) for k in (*service.KINDS, "shields")
        }
        return BadgeTokenPayload(
            token=token,
            status_url=url["status"],
            uptime_url=url["uptime"],
            response_url=url["response"],
            shields_url=url["shields"],
        )
