"""Every target query and mutation, seen by the owner, a stranger and an anonymous caller
(plus a VIEWER member and tokens missing a scope)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.core.ids import encode
from api.targets.models import Target
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.results import create_result
from tests.factories.targets import create_target
from tests.targets.helpers import CREATE, DELETE, GET, PAUSE, RESUME, UPDATE, gid, http_input

RESULTS = """query($id: ID!) { target(id: $id) {
  lastResult { id } results(first: 5) { totalCount edges { node { id } } }
  stats(since: "2020-01-01T00:00:00Z") { checks } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on CheckResult { region target { name } } } }"
WS_TARGETS = "{ viewer { workspaces { targets { totalCount edges { node { name } } } } } }"


@pytest.fixture
async def world(settings):
    owner = await create_account(settings)
    stranger = await create_account(settings)
    target = await create_target(owner.workspace.id, name="owned")
    await create_target(stranger.workspace.id, name="foreign")
    result = await create_result(target, check_id="c1", at=datetime.now(UTC))
    return owner, stranger, target, result


def _code(result) -> str:
    return result["errors"][0]["extensions"]["code"]


async def test_target_query(gql, world) -> None:
    owner, stranger, target, _ = world
    assert (await gql(GET, {"id": gid(target)}, token=owner.token))["data"]["target"][
        "name"
    ] == "owned"
    assert (await gql(GET, {"id": gid(target)}, token=stranger.token))["data"]["target"] is None
    assert _code(await gql(GET, {"id": gid(target)})) == "UNAUTHENTICATED"
    assert (await gql(GET, {"id": "not-an-id"}, token=owner.token))["data"]["target"] is None


async def test_node_query(gql, world) -> None:
    owner, stranger, target, result = world
    for node_id in (gid(target), encode("CheckResult", result.id)):
        assert (await gql(NODE, {"id": node_id}, token=owner.token))["data"]["node"][
            "id"
        ] == node_id
        assert (await gql(NODE, {"id": node_id}, token=stranger.token))["data"]["node"] is None
        assert (await gql(NODE, {"id": node_id}))["data"]["node"] is None
    seen = await gql(NODE, {"id": encode("CheckResult", result.id)}, token=owner.token)
    assert seen["data"]["node"]["target"]["name"] == "owned"


async def test_workspace_targets_lists_only_own(gql, world) -> None:
    owner, stranger, _, _ = world
    mine = await gql(WS_TARGETS, token=owner.token)
    assert [
        e["node"]["name"] for e in mine["data"]["viewer"]["workspaces"][0]["targets"]["edges"]
    ] == ["owned"]
    theirs = await gql(WS_TARGETS, token=stranger.token)
    assert [
        e["node"]["name"] for e in theirs["data"]["viewer"]["workspaces"][0]["targets"]["edges"]
    ] == ["foreign"]


async def test_results_fields(gql, world) -> None:
    owner, stranger, target, result = world
    mine = await gql(RESULTS, {"id": gid(target)}, token=owner.token)
    assert "errors" not in mine, mine
    assert mine["data"]["target"]["lastResult"]["id"] == encode("CheckResult", result.id)
    assert mine["data"]["target"]["results"]["totalCount"] == 1
    assert (await gql(RESULTS, {"id": gid(target)}, token=stranger.token))["data"]["target"] is None


async def test_token_without_scope_is_forbidden_naming_it(gql, world) -> None:
    owner, _, target, _ = world
    no_read = await create_pat(owner.user, ["account:read"])
    result = await gql(GET, {"id": gid(target)}, token=no_read)
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "targets:read"}
    targets_only = await create_pat(owner.user, ["targets:read"])
    result = await gql(RESULTS, {"id": gid(target)}, token=targets_only)
    scopes = {e["extensions"]["scope"] for e in result["errors"]}
    assert scopes == {"results:read"}
    assert ("lastResult",) in {tuple(e["path"][1:]) for e in result["errors"]}
    stats = await gql(
        'query($id: ID!) { target(id: $id) { stats(since: "2020-01-01T00:00:00Z") { checks } } }',
        {"id": gid(target)},
        token=targets_only,
    )
    assert stats["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "results:read"}
    result = await gql(PAUSE, {"id": gid(target)}, token=targets_only)
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "targets:write"}
    assert not (await Target.get(id=target.id)).paused


MUTATIONS = [
    ("updateTarget", UPDATE, {"input": {"name": "hijacked"}}),
    ("pauseTarget", PAUSE, {}),
    ("resumeTarget", RESUME, {}),
    ("deleteTarget", DELETE, {}),
]


@pytest.mark.parametrize(("name", "document", "extra"), MUTATIONS)
async def test_mutations_on_a_foreign_target_are_not_found(
    gql, world, name, document, extra
) -> None:
    _owner, stranger, target, _ = world
    result = await gql(document, {"id": gid(target), **extra}, token=stranger.token)
    assert result["data"][name]["errors"][0]["code"] == "NOT_FOUND"
    anonymous = await gql(document, {"id": gid(target), **extra})
    assert _code(anonymous) == "UNAUTHENTICATED"
    row = await Target.get(id=target.id)
    assert (row.name, row.paused) == ("owned", False)


@pytest.mark.parametrize(("name", "document", "extra"), MUTATIONS)
async def test_viewer_role_cannot_write(gql, settings, world, name, document, extra) -> None:
    owner, _, target, _ = world
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    # A VIEWER reads the target...
    assert (await gql(GET, {"id": gid(target)}, token=viewer.token))["data"]["target"][
        "name"
    ] == "owned"
    # ...but changing it is FORBIDDEN.
    result = await gql(document, {"id": gid(target), **extra}, token=viewer.token)
    assert _code(result) == "FORBIDDEN"
    row = await Target.get(id=target.id)
    assert (row.name, row.paused) == ("owned", False)


async def test_create_target_tenancy(gql, settings, world) -> None:
    owner, stranger, _, _ = world
    foreign = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=stranger.token)
    assert foreign["data"]["createTarget"]["errors"][0] == {
        "field": "workspaceId",
        "code": "NOT_FOUND",
        "message": "No workspace with this id.",
    }
    assert _code(await gql(CREATE, {"input": http_input(owner.workspace_gid)})) == "UNAUTHENTICATED"
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    result = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=viewer.token)
    assert _code(result) == "FORBIDDEN"
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    ok = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, name="by member")}, token=member.token
    )
    assert ok["data"]["createTarget"]["errors"] == []
    assert await Target.filter(workspace_id=owner.workspace.id).count() == 2
