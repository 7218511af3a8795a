"""Members list their workspace's pages; nobody else sees them (list or node)."""

from __future__ import annotations

from tests.factories.accounts import create_account, create_pat
from tests.statuspages.helpers import create_page, three_targets

LIST = """
query($ws: ID!) { statusPages(workspaceId: $ws) { id slug visibility components { name } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on StatusPage { slug title } } }"""


async def test_members_list_pages_and_strangers_see_nothing(gql, settings) -> None:
    owner = await create_account(settings)
    page_id = (await create_page(gql, owner, await three_targets(owner)))["data"][
        "createStatusPage"
    ]["statusPage"]["id"]

    body = await gql(LIST, {"ws": owner.workspace_gid}, token=owner.token)
    assert body["data"]["statusPages"] == [
        {
            "id": page_id,
            "slug": "acme",
            "visibility": "PUBLIC",
            "components": [{"name": "Platform"}],
        }
    ]
    node = await gql(NODE, {"id": page_id}, token=owner.token)
    assert node["data"]["node"] == {"slug": "acme", "title": "Acme status"}

    stranger = await create_account(settings)
    body = await gql(LIST, {"ws": owner.workspace_gid}, token=stranger.token)
    assert body["data"]["statusPages"] == []
    assert (await gql(NODE, {"id": page_id}, token=stranger.token))["data"]["node"] is None

    no_scope = await create_pat(owner.user, ["alerts:read"])
    body = await gql(LIST, {"ws": owner.workspace_gid}, token=no_scope)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql(NODE, {"id": page_id}, token=no_scope))["data"]["node"] is None
    body = await gql(LIST, {"ws": owner.workspace_gid})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
