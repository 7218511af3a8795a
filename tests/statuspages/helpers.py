"""Building status pages through the API, as the SPA does."""

from __future__ import annotations

from typing import Any

from api.core.ids import encode
from api.events import publish
from api.resources import Resources
from api.targets.models import Target, TargetStatus
from tests.conftest import GraphQLClient
from tests.factories.accounts import Account
from tests.factories.targets import create_target, transition

CREATE = """
mutation($input: StatusPageInput!) {
  createStatusPage(input: $input) {
    errors { field code message }
    statusPage { id slug title visibility regions components { id name targetIds } }
  }
}"""

PAGE_FIELDS = """
    title description logoUrl status
    components { id name description status group uptimeDays { date uptime maintenance }
                 responseTimeMs responseTimes { hour averageMs } }
    groups { name status componentIds }
    incidents { componentIds startedAt resolvedAt updates { title message state postedAt } }
    updates { title message state postedAt }
    maintenance { startsAt endsAt inProgress componentIds }
"""
PUBLIC = (
    """
query($slug: String!, $password: String) {
  statusPage(slug: $slug, password: $password) {"""
    + PAGE_FIELDS
    + "} }"
)
BY_DOMAIN = (
    """
query($host: String!, $password: String) {
  statusPageByDomain(host: $host, password: $password) {"""
    + PAGE_FIELDS
    + "} }"
)


def gid(target: Target) -> str:
    return encode("Target", target.id)


async def three_targets(account: Account) -> list[Target]:
    return [
        await create_target(
            account.workspace,
            name=f"internal-{name}",
            url=f"https://{name}.internal.example.test/health?key=s3cr3t",
            status=TargetStatus.UP,
        )
        for name in ("api", "web", "db")
    ]


async def create_page(
    gql: GraphQLClient, account: Account, targets: list[Target], **overrides: Any
) -> dict[str, Any]:
    variables = {
        "workspaceId": account.workspace_gid,
        "slug": "acme",
        "title": "Acme status",
        "description": "How Acme is doing",
        "logoUrl": "https://cdn.acme.test/logo.png",
        "components": [
            {
                "name": "Platform",
                "description": "API and site",
                "targetIds": [gid(t) for t in targets],
            },
        ],
        **overrides,
    }
    return await gql(CREATE, {"input": variables}, token=account.token)


async def public(
    gql: GraphQLClient, slug: str = "acme", password: str | None = None
) -> dict[str, Any]:
    return await gql(PUBLIC, {"slug": slug, "password": password})


async def by_domain(gql: GraphQLClient, host: str, password: str | None = None) -> dict[str, Any]:
    return await gql(BY_DOMAIN, {"host": host, "password": password})


async def announced_transition(resources: Resources, target: Target, to: TargetStatus) -> None:
    """A status change as the ingest makes it: the row, then the target_status event
    (which is what tells the public page's cache it is stale)."""
    row = await transition(target, to)
    await publish(
        resources.redis,
        "target_status",
        workspaceId=target.workspace_id,
        targetId=target.id,
        status=to.value,
        statusChangedAt=row.at.isoformat(),
    )
