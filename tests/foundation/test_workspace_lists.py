"""Workspace node() needs a scope that shows workspaces; plain lists are capped at 100."""

from __future__ import annotations

from api.accounts.models import User
from api.workspaces.models import Membership, Role, Workspace
from tests.factories.accounts import create_account, create_pat

NODE = """query($id: ID!) { node(id: $id) { ... on Workspace { name viewerRole } } }"""


async def test_workspace_node_needs_account_or_targets_read(gql, settings) -> None:
    owner = await create_account(settings)
    results_only = await create_pat(owner.user, ["results:read"])
    hidden = await gql(NODE, {"id": owner.workspace_gid}, token=results_only)
    assert hidden["data"]["node"] is None
    for scope in ("account:read", "targets:read"):
        token = await create_pat(owner.user, [scope])
        seen = await gql(NODE, {"id": owner.workspace_gid}, token=token)
        assert seen["data"]["node"]["viewerRole"] == "OWNER", scope
    stranger = await create_account(settings)
    assert (await gql(NODE, {"id": owner.workspace_gid}, token=stranger.token))["data"][
        "node"
    ] is None
    assert (await gql(NODE, {"id": owner.workspace_gid}))["data"]["node"] is None


async def test_members_and_workspaces_lists_stop_at_100(gql, settings) -> None:
    owner = await create_account(settings)
    users = [User(email=f"m{i}@example.test", password_hash="x") for i in range(105)]
    await User.bulk_create(users)
    users = await User.filter(email__startswith="m").order_by("id")
    await Membership.bulk_create(
        [Membership(workspace=owner.workspace, user=u, role=Role.VIEWER) for u in users]
    )
    members = await gql(
        "query($id: ID!) { node(id: $id) { ... on Workspace { members { email } } } }",
        {"id": owner.workspace_gid},
        token=owner.token,
    )
    emails = [m["email"] for m in members["data"]["node"]["members"]]
    assert len(emails) == 100
    assert emails[0] == owner.user.email  # oldest first
    assert emails[1] == "m0@example.test"

    spaces = [Workspace(name=f"w{i}") for i in range(105)]
    await Workspace.bulk_create(spaces)
    spaces = await Workspace.filter(name__startswith="w").order_by("id")
    await Membership.bulk_create(
        [Membership(workspace=w, user=owner.user, role=Role.MEMBER) for w in spaces]
    )
    viewer = await gql("{ viewer { workspaces { name } } }", token=owner.token)
    names = [w["name"] for w in viewer["data"]["viewer"]["workspaces"]]
    assert len(names) == 100
    assert names[0] == owner.workspace.name
