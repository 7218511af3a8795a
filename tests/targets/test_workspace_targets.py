"""Workspace.targets: newest first, paged, filtered by status and name."""

from __future__ import annotations

from tests.factories.accounts import create_account
from tests.factories.targets import create_target

LIST = """query($first: Int, $after: String, $status: TargetStatus, $search: String) {
  viewer { workspaces { targets(first: $first, after: $after, status: $status, search: $search) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { name status } } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Workspace { targets { totalCount } } } }"


def _targets(result):
    return result["data"]["viewer"]["workspaces"][0]["targets"]


async def test_list_filter_search_and_pages(gql, settings) -> None:
    owner = await create_account(settings)
    for i in range(5):
        await create_target(owner.workspace.id, name=f"api-{i}", status="UP" if i % 2 else "DOWN")
    await create_target(owner.workspace.id, name="Website", status="UP")

    everything = _targets(await gql(LIST, {}, token=owner.token))
    assert everything["totalCount"] == 6
    assert [e["node"]["name"] for e in everything["edges"]][:2] == ["Website", "api-4"]

    down = _targets(await gql(LIST, {"status": "DOWN"}, token=owner.token))
    assert sorted(e["node"]["name"] for e in down["edges"]) == ["api-0", "api-2", "api-4"]

    search = _targets(await gql(LIST, {"search": "WEB"}, token=owner.token))
    assert [e["node"]["name"] for e in search["edges"]] == ["Website"]

    first = _targets(await gql(LIST, {"first": 4}, token=owner.token))
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = _targets(await gql(LIST, {"first": 4, "after": after}, token=owner.token))
    names = [e["node"]["name"] for e in first["edges"] + second["edges"]]
    assert len(names) == 6 and len(set(names)) == 6


async def test_workspace_targets_of_a_foreign_workspace_are_unreachable(gql, settings) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    await create_target(owner.workspace.id, name="secret project")
    seen = await gql(NODE, {"id": owner.workspace_gid}, token=owner.token)
    assert seen["data"]["node"]["targets"]["totalCount"] == 1
    assert (await gql(NODE, {"id": owner.workspace_gid}, token=stranger.token))["data"][
        "node"
    ] is None
    assert (await gql(NODE, {"id": owner.workspace_gid}))["data"]["node"] is None
