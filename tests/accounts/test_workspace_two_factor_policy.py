"""A workspace requiring two-factor sign-in refuses its data to members without a second
factor (TWO_FACTOR_REQUIRED) until they set one up; only an OWNER with one may turn it on."""

from __future__ import annotations

import pyotp

from api.accounts.models import TotpDevice
from api.workspaces.models import Role, Workspace
from tests.accounts.helpers import enrol
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.targets import create_target
from tests.live.helpers import closed_code, open_socket

SET = """mutation($ws: ID!, $on: Boolean!) {
  setWorkspaceRequireTwoFactor(workspaceId: $ws, required: $on) {
    workspace { requireTwoFactor } errors { field code } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Workspace { name targets { totalCount } } } }"""
BLOCKED = "{ viewer { workspacesRequiringTwoFactor workspaces { id } } }"
INVITE = """mutation($ws: ID!) { inviteMember(workspaceId: $ws, email: "x@example.test",
  role: VIEWER) { errors { field code } } }"""


async def test_members_without_a_factor_are_refused_until_they_enrol(gql, settings) -> None:
    owner = await create_account(settings, totp_secret=pyotp.random_base32())
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.ADMIN)
    await create_target(owner.workspace)
    ws = owner.workspace_gid

    turned_on = await gql(SET, {"ws": ws, "on": True}, token=owner.token)
    assert turned_on["data"]["setWorkspaceRequireTwoFactor"] == {
        "workspace": {"requireTwoFactor": True},
        "errors": [],
    }

    read = await gql(NODE, {"id": ws}, token=member.token)
    assert read["errors"][0]["extensions"]["code"] == "TWO_FACTOR_REQUIRED"
    listed = (await gql(BLOCKED, token=member.token))["data"]["viewer"]
    assert listed["workspacesRequiringTwoFactor"] == [ws]
    assert ws not in [w["id"] for w in listed["workspaces"]]
    invite = await gql(INVITE, {"ws": ws}, token=member.token)
    assert invite["data"]["inviteMember"]["errors"] == [
        {"field": "workspaceId", "code": "TWO_FACTOR_REQUIRED"}
    ]
    # The owner (with a factor) still reads it
    assert (await gql(NODE, {"id": ws}, token=owner.token))["data"]["node"]["targets"] == {
        "totalCount": 1
    }

    await enrol(gql, member.token)

    after = await gql(NODE, {"id": ws}, token=member.token)
    assert after["data"]["node"]["targets"] == {"totalCount": 1}
    assert (await gql(BLOCKED, token=member.token))["data"]["viewer"][
        "workspacesRequiringTwoFactor"
    ] == []


async def test_only_an_owner_with_a_factor_may_require_it(gql, settings) -> None:
    owner = await create_account(settings)
    admin = await create_account(settings, totp_secret=pyotp.random_base32())
    await add_member(owner.workspace, admin.user, Role.ADMIN)
    stranger = await create_account(settings, totp_secret=pyotp.random_base32())
    ws = owner.workspace_gid

    without = await gql(SET, {"ws": ws, "on": True}, token=owner.token)
    as_admin = await gql(SET, {"ws": ws, "on": True}, token=admin.token)
    as_stranger = await gql(SET, {"ws": ws, "on": True}, token=stranger.token)
    anonymous = await gql(SET, {"ws": ws, "on": True})
    read_only = await gql(
        SET, {"ws": ws, "on": True}, token=await create_pat(owner.user, ["account:read"])
    )

    assert without["data"]["setWorkspaceRequireTwoFactor"]["errors"] == [
        {"field": "required", "code": "TWO_FACTOR_REQUIRED"}
    ]
    assert as_admin["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert as_stranger["data"]["setWorkspaceRequireTwoFactor"]["errors"] == [
        {"field": "workspaceId", "code": "NOT_FOUND"}
    ]
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert read_only["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not (await Workspace.get(id=owner.workspace.id)).require_two_factor


async def test_turning_it_on_closes_the_websockets_of_members_without_a_factor(
    live, gql, settings
) -> None:
    owner = await create_account(settings, totp_secret=pyotp.random_base32())
    weak = await create_account(settings)
    strong = await create_account(settings, totp_secret=pyotp.random_base32())
    await add_member(owner.workspace, weak.user, Role.MEMBER)
    await add_member(owner.workspace, strong.user, Role.MEMBER)
    weak_ws = await open_socket(live.url, weak.token)
    strong_ws = await open_socket(live.url, strong.token)

    await gql(SET, {"ws": owner.workspace_gid, "on": True}, token=owner.token)

    assert await closed_code(weak_ws) == 4403
    assert await closed_code(strong_ws, timeout=0.3) is None
    await strong_ws.close()


async def test_staff_views_need_a_second_factor(gql, settings) -> None:
    staff = await create_account(settings, staff=True)
    query = 'query { staffUser(email: "a@example.test", reason: "Ticket #1 check") { email } }'
    assert "errors" not in await gql(query, token=staff.token)
    await TotpDevice.filter(user_id=staff.user.id).delete()

    refused = await gql(query, token=staff.token)

    assert refused["errors"][0]["extensions"]["code"] == "TWO_FACTOR_REQUIRED"


async def test_every_domain_answers_two_factor_required_not_not_found(gql, settings) -> None:
    owner = await create_account(settings, totp_secret=pyotp.random_base32())
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    ws = owner.workspace_gid
    await gql(SET, {"ws": ws, "on": True}, token=owner.token)
    target = """mutation($ws: ID!) { createTarget(input: {workspaceId: $ws, name: "x", kind: TCP,
      typedConfig: {tcp: {host: "db.example.test", port: 5432}}}) { errors { field code } } }"""
    channel = """mutation($ws: ID!) { createAlertChannel(input: {workspaceId: $ws, name: "x",
      kind: EMAIL, typedConfig: {email: {address: "ops@example.test"}}}) { errors { field code } } }"""
    for document, name in ((target, "createTarget"), (channel, "createAlertChannel")):
        answer = await gql(document, {"ws": ws}, token=member.token)
        assert answer["data"][name]["errors"] == [
            {"field": "workspaceId", "code": "TWO_FACTOR_REQUIRED"}
        ], name
    # A stranger still learns nothing: NOT_FOUND.
    stranger = await create_account(settings)
    answer = await gql(target, {"ws": ws}, token=stranger.token)
    assert answer["data"]["createTarget"]["errors"] == [
        {"field": "workspaceId", "code": "NOT_FOUND"}
    ]
