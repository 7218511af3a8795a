from __future__ import annotations

from datetime import timedelta

from api.core import clock
from api.core.ids import encode
from api.workspaces.models import Invitation, Membership, Role, Workspace
from tests.factories.accounts import add_member, create_account, create_pat
from tests.mail import link_token

CREATE = """mutation($name: String!) { createWorkspace(name: $name) {
  workspace { id name viewerRole } errors { field code } } }"""
INVITE = """mutation($ws: ID!, $email: String!, $role: Role!) {
  inviteMember(workspaceId: $ws, email: $email, role: $role) {
    invitation { email role } errors { field code } } }"""
ACCEPT = """mutation($token: String!) { acceptInvitation(token: $token) {
  workspace { id name viewerRole } errors { field code } } }"""
REMOVE = """mutation($ws: ID!, $user: ID!) { removeMember(workspaceId: $ws, userId: $user) {
  deletedId errors { field code } } }"""
CHANGE = """mutation($ws: ID!, $user: ID!, $role: Role!) {
  changeRole(workspaceId: $ws, userId: $user, role: $role) {
    member { userId email role } errors { field code } } }"""
MEMBERS = "{ viewer { workspaces { id members { userId email displayName role } } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Workspace { name members { email } } } }"


def uid(account) -> str:
    return encode("User", account.user.id)


def code(result: dict, mutation: str) -> str | None:
    """The UserError code, or the top-level error code."""
    if result.get("errors"):
        return result["errors"][0]["extensions"]["code"]
    errors = result["data"][mutation]["errors"]
    return errors[0]["code"] if errors else None


async def test_create_workspace_makes_the_creator_owner(gql, settings) -> None:
    account = await create_account(settings)
    result = await gql(CREATE, {"name": " Ops team "}, token=account.token)
    ws = result["data"]["createWorkspace"]["workspace"]
    assert ws["name"] == "Ops team"
    assert ws["viewerRole"] == "OWNER"
    members = (await gql(MEMBERS, token=account.token))["data"]["viewer"]["workspaces"]
    assert [w["id"] for w in members] == [account.workspace_gid, ws["id"]]
    assert members[1]["members"] == [
        {"userId": uid(account), "email": account.user.email, "displayName": None, "role": "OWNER"}
    ]
    bad = await gql(CREATE, {"name": "  "}, token=account.token)
    assert bad["data"]["createWorkspace"]["errors"] == [{"field": "name", "code": "INVALID"}]


async def test_invite_by_email_then_accept_joins_with_the_role(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings, email="owner@example.test")
    invitee = await create_account(settings, email="new.hire@example.test")

    result = await gql(
        INVITE,
        {"ws": owner.workspace_gid, "email": "New.Hire@example.test", "role": "MEMBER"},
        token=owner.token,
    )

    assert result["data"]["inviteMember"] == {
        "invitation": {"email": "new.hire@example.test", "role": "MEMBER"},
        "errors": [],
    }
    await run_core_jobs()
    [body] = mailbox.bodies("new.hire@example.test")
    assert f"{settings.effective_app_url}/invitations/accept?token=hf_mail_" in body
    token = link_token(body, "/invitations/accept")

    accepted = await gql(ACCEPT, {"token": token}, token=invitee.token)

    assert accepted["data"]["acceptInvitation"] == {
        "workspace": {
            "id": owner.workspace_gid,
            "name": owner.workspace.name,
            "viewerRole": "MEMBER",
        },
        "errors": [],
    }
    members = await gql(MEMBERS, token=invitee.token)
    shared = [w for w in members["data"]["viewer"]["workspaces"] if w["id"] == owner.workspace_gid]
    assert [(m["email"], m["role"]) for m in shared[0]["members"]] == [
        ("owner@example.test", "OWNER"),
        ("new.hire@example.test", "MEMBER"),
    ]
    # Single use.
    again = await gql(ACCEPT, {"token": token}, token=invitee.token)
    assert again["data"]["acceptInvitation"]["errors"] == [{"field": "token", "code": "INVALID"}]


async def test_an_invitation_is_only_for_its_address_and_expires(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)
    invitee = await create_account(settings, email="invited@example.test")
    snoop = await create_account(settings, email="snoop@example.test")
    await gql(
        INVITE,
        {"ws": owner.workspace_gid, "email": "invited@example.test", "role": "VIEWER"},
        token=owner.token,
    )
    await run_core_jobs()
    token = link_token(mailbox.bodies("invited@example.test")[0], "/invitations/accept")

    stolen = await gql(ACCEPT, {"token": token}, token=snoop.token)
    assert stolen["data"]["acceptInvitation"]["errors"] == [{"field": "token", "code": "INVALID"}]
    assert not await Membership.filter(user=snoop.user, workspace=owner.workspace).exists()

    clock.advance(timedelta(days=7, seconds=1))
    late = await gql(ACCEPT, {"token": token}, token=invitee.token)
    assert late["data"]["acceptInvitation"]["errors"] == [{"field": "token", "code": "EXPIRED"}]
    assert (await gql(ACCEPT, {"token": token}))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


async def test_an_unverified_address_cannot_accept(gql, settings, mailbox, run_core_jobs) -> None:
    owner = await create_account(settings)
    invitee = await create_account(settings, email="unverified@example.test", verified=False)
    await gql(
        INVITE,
        {"ws": owner.workspace_gid, "email": "unverified@example.test", "role": "MEMBER"},
        token=owner.token,
    )
    await run_core_jobs()
    token = link_token(mailbox.bodies("unverified@example.test")[0], "/invitations/accept")
    result = await gql(ACCEPT, {"token": token}, token=invitee.token)
    assert result["data"]["acceptInvitation"]["errors"] == [
        {"field": "token", "code": "NOT_VERIFIED"}
    ]


async def test_inviting_an_existing_member_or_a_bad_address_is_refused(gql, settings) -> None:
    owner = await create_account(settings)
    member = await create_account(settings, email="already@example.test")
    await add_member(owner.workspace, member.user, Role.MEMBER)
    dup = await gql(
        INVITE,
        {"ws": owner.workspace_gid, "email": "already@example.test", "role": "ADMIN"},
        token=owner.token,
    )
    bad = await gql(
        INVITE, {"ws": owner.workspace_gid, "email": "nope", "role": "ADMIN"}, token=owner.token
    )
    assert dup["data"]["inviteMember"]["errors"] == [{"field": "email", "code": "ALREADY_EXISTS"}]
    assert bad["data"]["inviteMember"]["errors"] == [{"field": "email", "code": "INVALID"}]


async def test_members_and_viewers_cannot_manage_members(gql, settings) -> None:
    owner = await create_account(settings)
    for role in (Role.MEMBER, Role.VIEWER):
        actor = await create_account(settings)
        await add_member(owner.workspace, actor.user, role)
        invite = await gql(
            INVITE,
            {"ws": owner.workspace_gid, "email": "x@example.test", "role": "VIEWER"},
            token=actor.token,
        )
        change = await gql(
            CHANGE,
            {"ws": owner.workspace_gid, "user": uid(actor), "role": "ADMIN"},
            token=actor.token,
        )
        remove = await gql(
            REMOVE, {"ws": owner.workspace_gid, "user": uid(owner)}, token=actor.token
        )
        assert code(invite, "inviteMember") == "FORBIDDEN"
        assert code(change, "changeRole") == "FORBIDDEN"
        assert code(remove, "removeMember") == "FORBIDDEN"
    assert await Membership.filter(workspace=owner.workspace, role=Role.OWNER).count() == 1


async def test_only_an_owner_grants_owner_or_touches_an_owner(gql, settings) -> None:
    owner = await create_account(settings)
    admin = await create_account(settings)
    member = await create_account(settings)
    await add_member(owner.workspace, admin.user, Role.ADMIN)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    ws = owner.workspace_gid

    grant = await gql(CHANGE, {"ws": ws, "user": uid(member), "role": "OWNER"}, token=admin.token)
    demote = await gql(CHANGE, {"ws": ws, "user": uid(owner), "role": "VIEWER"}, token=admin.token)
    kick = await gql(REMOVE, {"ws": ws, "user": uid(owner)}, token=admin.token)
    invite = await gql(
        INVITE, {"ws": ws, "email": "boss@example.test", "role": "OWNER"}, token=admin.token
    )
    assert [code(grant, "changeRole"), code(demote, "changeRole")] == ["FORBIDDEN", "FORBIDDEN"]
    assert code(kick, "removeMember") == "FORBIDDEN"
    assert code(invite, "inviteMember") == "FORBIDDEN"

    # An admin manages the others; an owner may grant OWNER.
    ok = await gql(CHANGE, {"ws": ws, "user": uid(member), "role": "VIEWER"}, token=admin.token)
    assert ok["data"]["changeRole"]["member"]["role"] == "VIEWER"
    promoted = await gql(CHANGE, {"ws": ws, "user": uid(admin), "role": "OWNER"}, token=owner.token)
    assert promoted["data"]["changeRole"]["member"] == {
        "userId": uid(admin),
        "email": admin.user.email,
        "role": "OWNER",
    }


async def test_the_last_owner_cannot_be_removed_or_demoted(gql, settings) -> None:
    owner = await create_account(settings)
    ws = owner.workspace_gid

    demote = await gql(CHANGE, {"ws": ws, "user": uid(owner), "role": "ADMIN"}, token=owner.token)
    leave = await gql(REMOVE, {"ws": ws, "user": uid(owner)}, token=owner.token)

    assert demote["data"]["changeRole"]["errors"] == [{"field": "userId", "code": "INVALID"}]
    assert leave["data"]["removeMember"]["errors"] == [{"field": "userId", "code": "INVALID"}]
    assert await Membership.filter(workspace=owner.workspace, role=Role.OWNER).count() == 1

    # With a second owner, the first may step down.
    second = await create_account(settings)
    await add_member(owner.workspace, second.user, Role.OWNER)
    ok = await gql(CHANGE, {"ws": ws, "user": uid(owner), "role": "ADMIN"}, token=owner.token)
    assert ok["data"]["changeRole"]["errors"] == []


async def test_remove_member_and_leave(client, gql, settings) -> None:
    owner = await create_account(settings)
    member = await create_account(settings)
    viewer = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    ws = owner.workspace_gid

    removed = await gql(REMOVE, {"ws": ws, "user": uid(member)}, token=owner.token)
    left = await gql(REMOVE, {"ws": ws, "user": uid(viewer)}, token=viewer.token)

    assert removed["data"]["removeMember"] == {"deletedId": uid(member), "errors": []}
    assert left["data"]["removeMember"] == {"deletedId": uid(viewer), "errors": []}
    # The removed member no longer sees the workspace (next request).
    node = await gql(NODE, {"id": ws}, token=member.token)
    assert node["data"]["node"] is None
    again = await gql(REMOVE, {"ws": ws, "user": uid(member)}, token=owner.token)
    assert again["data"]["removeMember"]["errors"] == [{"field": "userId", "code": "NOT_FOUND"}]


async def test_tenancy_three_principals(gql, settings) -> None:
    # The owner of workspace A, a member of another workspace B, an anonymous caller.
    owner = await create_account(settings)
    outsider = await create_account(settings)
    victim = await create_account(settings)
    await add_member(owner.workspace, victim.user, Role.MEMBER)
    ws = owner.workspace_gid
    calls = [
        (INVITE, {"ws": ws, "email": "spy@example.test", "role": "ADMIN"}, "inviteMember"),
        (REMOVE, {"ws": ws, "user": uid(victim)}, "removeMember"),
        (CHANGE, {"ws": ws, "user": uid(outsider), "role": "OWNER"}, "changeRole"),
    ]
    for query, variables, name in calls:
        foreign = await gql(query, variables, token=outsider.token)
        assert foreign["data"][name]["errors"] == [{"field": "workspaceId", "code": "NOT_FOUND"}]
        anonymous = await gql(query, variables)
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Reads: a foreign workspace id is null, its members unseen.
    assert (await gql(NODE, {"id": ws}, token=outsider.token))["data"]["node"] is None
    assert (await gql(NODE, {"id": ws}))["data"]["node"] is None
    own = await gql(NODE, {"id": ws}, token=owner.token)
    assert {m["email"] for m in own["data"]["node"]["members"]} == {
        owner.user.email,
        victim.user.email,
    }
    # Nothing changed.
    assert await Workspace.filter(id=owner.workspace.id).exists()
    assert await Membership.filter(workspace=owner.workspace).count() == 2
    assert not await Invitation.all().exists()
    # The outsider's own workspace is untouched by the owner too.
    back = await gql(
        REMOVE, {"ws": outsider.workspace_gid, "user": uid(outsider)}, token=owner.token
    )
    assert back["data"]["removeMember"]["errors"] == [{"field": "workspaceId", "code": "NOT_FOUND"}]


async def test_workspace_management_needs_the_account_scopes(gql, settings) -> None:
    owner = await create_account(settings)
    reader = await create_pat(owner.user, ["account:read", "targets:read"])
    targets_only = await create_pat(owner.user, ["targets:read"])

    create = await gql(CREATE, {"name": "x"}, token=reader)
    invite = await gql(
        INVITE,
        {"ws": owner.workspace_gid, "email": "x@example.test", "role": "MEMBER"},
        token=reader,
    )
    members = await gql(NODE, {"id": owner.workspace_gid}, token=targets_only)

    assert create["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}
    assert invite["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}
    assert members["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:read"}
    # With account:read, members are readable.
    listed = await gql(NODE, {"id": owner.workspace_gid}, token=reader)
    assert listed["data"]["node"]["members"] == [{"email": owner.user.email}]


async def test_someone_without_an_account_signs_up_then_accepts(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)
    await gql(
        INVITE,
        {"ws": owner.workspace_gid, "email": "newcomer@example.test", "role": "ADMIN"},
        token=owner.token,
    )
    await run_core_jobs()
    invitation = link_token(mailbox.bodies("newcomer@example.test")[0], "/invitations/accept")

    password = "newcomer password"
    await gql(
        'mutation($p: String!) { signUp(email: "newcomer@example.test", password: $p) '
        "{ errors { code } } }",
        {"p": password},
    )
    await run_core_jobs()
    verify = link_token(mailbox.bodies("newcomer@example.test")[-1], "/verify-email")
    await gql("mutation($t: String!) { verifyEmail(token: $t) { errors { code } } }", {"t": verify})
    login = await gql(
        'mutation($p: String!) { logIn(email: "newcomer@example.test", password: $p) { token } }',
        {"p": password},
    )
    session = login["data"]["logIn"]["token"]

    accepted = await gql(ACCEPT, {"token": invitation}, token=session)

    assert accepted["data"]["acceptInvitation"]["workspace"]["viewerRole"] == "ADMIN"
    roles = await gql("{ viewer { workspaces { viewerRole } } }", token=session)
    assert sorted(w["viewerRole"] for w in roles["data"]["viewer"]["workspaces"]) == [
        "ADMIN",
        "OWNER",
    ]


async def test_a_user_node_is_visible_only_to_that_user(gql, settings) -> None:
    me = await create_account(settings)
    teammate = await create_account(settings)
    await add_member(me.workspace, teammate.user, Role.MEMBER)
    query = "query($id: ID!) { node(id: $id) { ... on User { email } } }"
    assert (await gql(query, {"id": uid(me)}, token=me.token))["data"]["node"] == {
        "email": me.user.email
    }
    assert (await gql(query, {"id": uid(teammate)}, token=me.token))["data"]["node"] is None
    assert (await gql(query, {"id": uid(me)}))["data"]["node"] is None


PENDING = "query($id: ID!) { node(id: $id) { ... on Workspace { invitations { id email role } } } }"
REVOKE_INVITATION = """mutation($id: ID!) { revokeInvitation(id: $id) {
  deletedId errors { field code } } }"""


async def test_admins_list_and_revoke_pending_invitations(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)
    member = await create_account(settings)
    outsider = await create_account(settings)
    invitee = await create_account(settings, email="maybe@example.test")
    await add_member(owner.workspace, member.user, Role.MEMBER)
    await gql(
        INVITE,
        {"ws": owner.workspace_gid, "email": "maybe@example.test", "role": "VIEWER"},
        token=owner.token,
    )
    await run_core_jobs()
    token = link_token(mailbox.bodies("maybe@example.test")[0], "/invitations/accept")

    listed = await gql(PENDING, {"id": owner.workspace_gid}, token=owner.token)
    [pending] = listed["data"]["node"]["invitations"]
    assert pending["email"] == "maybe@example.test"
    assert token not in str(listed)
    hidden = await gql(PENDING, {"id": owner.workspace_gid}, token=member.token)
    assert hidden["data"]["node"]["invitations"] == []

    by_member = await gql(REVOKE_INVITATION, {"id": pending["id"]}, token=member.token)
    by_outsider = await gql(REVOKE_INVITATION, {"id": pending["id"]}, token=outsider.token)
    assert by_member["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_outsider["data"]["revokeInvitation"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND"}
    ]

    revoked = await gql(REVOKE_INVITATION, {"id": pending["id"]}, token=owner.token)
    assert revoked["data"]["revokeInvitation"] == {"deletedId": pending["id"], "errors": []}
    late = await gql(ACCEPT, {"token": token}, token=invitee.token)
    assert late["data"]["acceptInvitation"]["errors"] == [{"field": "token", "code": "INVALID"}]
