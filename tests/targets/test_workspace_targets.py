"""Workspace.targets: newest first, paged, filtered by status and name; probeRegions."""

from __future__ import annotations

from types import SimpleNamespace

from api.results.types import CheckResult
from tests.factories import create_account
from tests.targets.helpers import create_target

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


async def test_probe_regions_are_public(gql) -> None:
    result = await gql("{ probeRegions { code name continent } }")
    assert result["data"]["probeRegions"] == [
        {"code": "eu-west", "name": "Paris", "continent": "Europe"},
        {"code": "us-east", "name": "Virginia", "continent": "North America"},
        {"code": "ap-south", "name": "Mumbai", "continent": "Asia"},
    ]


def test_check_result_from_an_event_payload() -> None:
    payload = SimpleNamespace(
        id=7,
        target_id=3,
        region="eu-west",
        checked_at="2026-03-01T12:00:00+00:00",
        status="DOWN",
        response_time_ms=None,
        http_status=None,
        error="connection refused",
    )
    result = CheckResult.from_model(payload)
    assert (result.pk, result.target_id, result.status.value, result.timings) == (
        7,
        3,
        "DOWN",
        None,
    )
    assert result.checked_at.year == 2026
