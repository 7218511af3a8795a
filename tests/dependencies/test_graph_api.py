"""Groups and dependencies through GraphQL: create, change, read back, cycles refused
with the cycle named, bounds, and who may do it (owner, viewer, stranger, token scopes)."""

from __future__ import annotations

from api.core.ids import encode
from api.targets.models import TargetDependency, TargetGroup
from api.workspaces.models import Role
from tests.dependencies.documents import (
    CREATE_GROUP,
    DELETE_GROUP,
    GRAPH,
    GROUPS,
    SET_DEPS,
    UPDATE_GROUP,
)
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.targets import create_target


def gid(row) -> str:
    return encode(type(row).__name__, row.id)


def _errors(answer: dict, name: str) -> list[tuple[str | None, str]]:
    assert "errors" not in answer, answer
    return [(e["field"], e["code"]) for e in answer["data"][name]["errors"]]


async def test_groups_and_dependencies_read_back_both_ways(gql, settings) -> None:
    owner = await create_account(settings)
    router = await create_target(owner.workspace, name="Router")
    edge1 = await create_target(owner.workspace, name="Edge 1")
    edge2 = await create_target(owner.workspace, name="Edge 2")
    shop = await create_target(owner.workspace, name="Shop")

    # given a group of the two edges
    made = await gql(
        CREATE_GROUP,
        {"input": {"workspaceId": owner.workspace_gid, "name": "EU edge",
                   "targetIds": [gid(edge2), gid(edge1)]}},
        token=owner.token,
    )  # fmt: skip
    assert made["data"]["createTargetGroup"]["errors"] == []
    group = made["data"]["createTargetGroup"]["group"]
    assert group["targets"] == [{"name": "Edge 1"}, {"name": "Edge 2"}]

    # when the shop depends on the group and the router, and the edges on the router
    answer = await gql(
        SET_DEPS, {"t": gid(shop), "d": [group["id"], gid(router)]}, token=owner.token
    )
    assert answer["data"]["setTargetDependencies"]["target"]["dependsOn"] == [
        {"__typename": "TargetGroup", "name": "EU edge"},
        {"__typename": "Target", "name": "Router"},
    ]
    for edge in (edge1, edge2):
        ok = await gql(SET_DEPS, {"t": gid(edge), "d": [gid(router)]}, token=owner.token)
        assert ok["data"]["setTargetDependencies"]["errors"] == []

    # then each side reads it
    seen = (await gql(GRAPH, {"id": gid(router)}, token=owner.token))["data"]["target"]
    assert seen["dependents"] == [{"name": "Edge 1"}, {"name": "Edge 2"}, {"name": "Shop"}]
    seen = (await gql(GRAPH, {"id": gid(edge1)}, token=owner.token))["data"]["target"]
    assert seen["groups"] == [{"name": "EU edge"}]
    assert seen["dependents"] == [{"name": "Shop"}]  # through the group
    listed = await gql(GROUPS, {"ws": owner.workspace_gid}, token=owner.token)
    assert [g["name"] for g in listed["data"]["targetGroups"]] == ["EU edge"]

    # renaming and re-membering; an empty list clears the dependencies
    changed = await gql(
        UPDATE_GROUP, {"id": group["id"], "input": {"name": "Edge", "targetIds": [gid(edge1)]}},
        token=owner.token,
    )  # fmt: skip
    assert changed["data"]["updateTargetGroup"]["group"]["targets"] == [{"name": "Edge 1"}]
    cleared = await gql(SET_DEPS, {"t": gid(shop), "d": []}, token=owner.token)
    assert cleared["data"]["setTargetDependencies"]["target"]["dependsOn"] == []
    assert await TargetDependency.filter(target_id=shop.id).count() == 0

    # deleting the group drops the dependencies on it, not the targets
    await gql(SET_DEPS, {"t": gid(shop), "d": [group["id"]]}, token=owner.token)
    gone = await gql(DELETE_GROUP, {"id": group["id"]}, token=owner.token)
    assert gone["data"]["deleteTargetGroup"]["deletedId"] == group["id"]
    assert await TargetDependency.filter(target_id=shop.id).count() == 0
    seen = (await gql(GRAPH, {"id": gid(shop)}, token=owner.token))["data"]["target"]
    assert seen["dependsOn"] == [] and seen["groups"] == []


async def test_cycles_are_refused_naming_the_cycle(gql, settings) -> None:
    owner = await create_account(settings)
    a = await create_target(owner.workspace, name="A")
    b = await create_target(owner.workspace, name="B")
    c = await create_target(owner.workspace, name="C")
    await gql(SET_DEPS, {"t": gid(b), "d": [gid(a)]}, token=owner.token)
    await gql(SET_DEPS, {"t": gid(c), "d": [gid(b)]}, token=owner.token)

    # a direct and a transitive cycle
    back = await gql(SET_DEPS, {"t": gid(a), "d": [gid(b)]}, token=owner.token)
    err = back["data"]["setTargetDependencies"]["errors"][0]
    assert (err["field"], err["code"]) == ("dependsOn", "DEPENDENCY_CYCLE")
    assert "A -> B -> A" in err["message"]
    longer = await gql(SET_DEPS, {"t": gid(a), "d": [gid(c)]}, token=owner.token)
    assert "A -> C -> B -> A" in longer["data"]["setTargetDependencies"]["errors"][0]["message"]

    # self-dependency, directly or through a group it belongs to
    itself = await gql(SET_DEPS, {"t": gid(a), "d": [gid(a)]}, token=owner.token)
    assert "A -> A" in itself["data"]["setTargetDependencies"]["errors"][0]["message"]
    mine = await gql(
        CREATE_GROUP, {"input": {"workspaceId": owner.workspace_gid, "name": "with A",
                                 "targetIds": [gid(a)]}}, token=owner.token,
    )  # fmt: skip
    group_id = mine["data"]["createTargetGroup"]["group"]["id"]
    via = await gql(SET_DEPS, {"t": gid(a), "d": [group_id]}, token=owner.token)
    assert _errors(via, "setTargetDependencies") == [("dependsOn", "DEPENDENCY_CYCLE")]

    # a group change that would close a cycle (A depends on a group, C joins it)
    empty = await gql(
        CREATE_GROUP, {"input": {"workspaceId": owner.workspace_gid, "name": "later"}},
        token=owner.token,
    )  # fmt: skip
    later = empty["data"]["createTargetGroup"]["group"]["id"]
    assert (
        _errors(
            await gql(SET_DEPS, {"t": gid(a), "d": [later]}, token=owner.token),
            "setTargetDependencies",
        )
        == []
    )
    joined = await gql(
        UPDATE_GROUP, {"id": later, "input": {"targetIds": [gid(c)]}}, token=owner.token
    )
    err = joined["data"]["updateTargetGroup"]["errors"][0]
    assert err["code"] == "DEPENDENCY_CYCLE" and "A -> C -> B -> A" in err["message"]
    assert err["field"] == "targetIds"  # the group's input field
    assert await (await TargetGroup.get(name="later")).targets.all().count() == 0
    # nothing changed on refusals
    assert await TargetDependency.filter(target_id=a.id).count() == 1


async def test_dependencies_are_bounded(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace, name="main")
    others = [await create_target(owner.workspace, name=f"t{i}") for i in range(21)]
    answer = await gql(
        SET_DEPS, {"t": gid(target), "d": [gid(o) for o in others]}, token=owner.token
    )
    assert _errors(answer, "setTargetDependencies") == [("dependsOn", "LIMIT_REACHED")]
    bad_id = await gql(SET_DEPS, {"t": gid(target), "d": ["bm9wZQ=="]}, token=owner.token)
    assert _errors(bad_id, "setTargetDependencies") == [("dependsOn", "NOT_FOUND")]
    answer = await gql(
        SET_DEPS, {"t": gid(target), "d": [gid(o) for o in others[:20]]}, token=owner.token
    )
    assert _errors(answer, "setTargetDependencies") == []


async def test_other_workspaces_read_as_not_found(gql, settings) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    mine = await create_target(owner.workspace, name="mine")
    theirs = await create_target(stranger.workspace, name="theirs")
    their_group = await TargetGroup.create(workspace_id=stranger.workspace.id, name="theirs")
    await their_group.targets.add(theirs)
    my_group = await TargetGroup.create(workspace_id=owner.workspace.id, name="mine")

    # pointing at their target or group, or changing their target: NOT_FOUND
    for deps in ([gid(theirs)], [gid(their_group)]):
        answer = await gql(SET_DEPS, {"t": gid(mine), "d": deps}, token=owner.token)
        assert _errors(answer, "setTargetDependencies") == [("dependsOn", "NOT_FOUND")]
    answer = await gql(SET_DEPS, {"t": gid(theirs), "d": [gid(mine)]}, token=owner.token)
    assert _errors(answer, "setTargetDependencies") == [("targetId", "NOT_FOUND")]
    # their group: not readable, not changeable, not deletable; not fillable with theirs
    for doc, variables, name in (
        (UPDATE_GROUP, {"id": gid(their_group), "input": {"name": "x"}}, "updateTargetGroup"),
        (DELETE_GROUP, {"id": gid(their_group)}, "deleteTargetGroup"),
        (UPDATE_GROUP, {"id": gid(my_group), "input": {"targetIds": [gid(theirs)]}},
         "updateTargetGroup"),
        (CREATE_GROUP, {"input": {"workspaceId": stranger.workspace_gid, "name": "x"}},
         "createTargetGroup"),
    ):  # fmt: skip
        assert _errors(await gql(doc, variables, token=owner.token), name)[0][1] == "NOT_FOUND"
    assert (await gql(GROUPS, {"ws": stranger.workspace_gid}, token=owner.token))["data"] == {
        "targetGroups": []
    }
    node = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": gid(their_group)}, token=owner.token
    )
    assert node["data"]["node"] is None
    assert (
        await their_group.targets.all().count() == 1
        and (await TargetGroup.get(id=their_group.id)).name == "theirs"
    )
    # anonymous
    anon = await gql(GROUPS, {"ws": owner.workspace_gid})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewers_and_read_only_tokens_cannot_change_the_graph(gql, settings) -> None:
    owner = await create_account(settings)
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    a = await create_target(owner.workspace, name="A")
    b = await create_target(owner.workspace, name="B")
    group = await TargetGroup.create(workspace_id=owner.workspace.id, name="g")

    # a role that cannot change targets is refused (as on targets: a top-level FORBIDDEN)
    for doc, variables in (
        (SET_DEPS, {"t": gid(b), "d": [gid(a)]}),
        (UPDATE_GROUP, {"id": gid(group), "input": {"name": "v"}}),
        (CREATE_GROUP, {"input": {"workspaceId": owner.workspace_gid, "name": "v"}}),
        (DELETE_GROUP, {"id": gid(group)}),
    ):
        refused = await gql(doc, variables, token=viewer.token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the viewer reads
    seen = await gql(GROUPS, {"ws": owner.workspace_gid}, token=viewer.token)
    assert seen["data"]["targetGroups"][0]["name"] == "g"

    read_only = await create_pat(owner.user, ["targets:read"])
    for doc, variables in (
        (SET_DEPS, {"t": gid(b), "d": [gid(a)]}),
        (CREATE_GROUP, {"input": {"workspaceId": owner.workspace_gid, "name": "x"}}),
        (UPDATE_GROUP, {"id": gid(group), "input": {"name": "x"}}),
        (DELETE_GROUP, {"id": gid(group)}),
    ):
        refused = await gql(doc, variables, token=read_only)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    no_scope = await create_pat(owner.user, ["results:read"])
    refused = await gql(GROUPS, {"ws": owner.workspace_gid}, token=no_scope)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await TargetDependency.all().count() == 0
    assert (await TargetGroup.get(id=group.id)).name == "g"


async def test_group_names_are_unique_per_workspace(gql, settings) -> None:
    owner = await create_account(settings)
    variables = {"input": {"workspaceId": owner.workspace_gid, "name": "EU edge"}}
    await gql(CREATE_GROUP, variables, token=owner.token)
    again = await gql(CREATE_GROUP, variables, token=owner.token)
    assert _errors(again, "createTargetGroup") == [("name", "ALREADY_EXISTS")]
    blank = await gql(
        CREATE_GROUP,
        {"input": {"workspaceId": owner.workspace_gid, "name": " "}},
        token=owner.token,
    )
    assert _errors(blank, "createTargetGroup") == [("name", "INVALID")]
    assert await TargetGroup.all().count() == 1
