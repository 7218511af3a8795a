"""Membership rules hold when requests race."""

from __future__ import annotations

import asyncio

from api.core.ids import encode
from api.workspaces.models import Membership, Role
from tests.factories.accounts import add_member, create_account
from tests.mail import link_token

CHANGE = """mutation($ws: ID!, $user: ID!, $role: Role!) {
  changeRole(workspaceId: $ws, userId: $user, role: $role) { errors { code } } }"""
REMOVE = """mutation($ws: ID!, $user: ID!) { removeMember(workspaceId: $ws, userId: $user) {
  errors { code } } }"""
INVITE = """mutation($ws: ID!, $email: String!) {
  inviteMember(workspaceId: $ws, email: $email, role: MEMBER) { errors { code } } }"""
ACCEPT = """mutation($token: String!) { acceptInvitation(token: $token) {
  workspace { viewerRole } errors { code } } }"""


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(gql, settings) -> None:
    a = await create_account(settings)
    b = await create_account(settings)
    await add_member(a.workspace, b.user, Role.OWNER)
    ws = a.workspace_gid

    results = await asyncio.gather(
        gql(CHANGE, {"ws": ws, "user": encode("User", b.user.id), "role": "MEMBER"}, token=a.token),
        gql(CHANGE, {"ws": ws, "user": encode("User", a.user.id), "role": "MEMBER"}, token=b.token),
    )

    assert await Membership.filter(workspace=a.workspace, role=Role.OWNER).count() == 1
    # One wins; the other is refused: INVALID (last owner) when both checked their rights
    # before either change, FORBIDDEN when the loser had already been demoted.
    outcomes = sorted(
        r["errors"][0]["extensions"]["code"]
        if r.get("errors")
        else (r["data"]["changeRole"]["errors"] or [{"code": "OK"}])[0]["code"]
        for r in results
    )
    assert outcomes in (["INVALID", "OK"], ["FORBIDDEN", "OK"])


async def test_two_owners_leaving_at_once_leave_one_owner(gql, settings) -> None:
    a = await create_account(settings)
    b = await create_account(settings)
    await add_member(a.workspace, b.user, Role.OWNER)
    ws = a.workspace_gid

    await asyncio.gather(
        gql(REMOVE, {"ws": ws, "user": encode("User", a.user.id)}, token=a.token),
        gql(REMOVE, {"ws": ws, "user": encode("User", b.user.id)}, token=b.token),
    )

    assert await Membership.filter(workspace=a.workspace, role=Role.OWNER).count() == 1


async def test_an_invitation_accepted_twice_at_once_joins_once(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)
    invitee = await create_account(settings, email="racer@example.test")
    await gql(INVITE, {"ws": owner.workspace_gid, "email": "racer@example.test"}, token=owner.token)
    await run_core_jobs()
    token = link_token(mailbox.bodies("racer@example.test")[0], "/invitations/accept")

    results = await asyncio.gather(
        *[gql(ACCEPT, {"token": token}, token=invitee.token) for _ in range(3)]
    )

    joined = [r for r in results if r["data"]["acceptInvitation"]["workspace"]]
    assert len(joined) == 1
    assert await Membership.filter(workspace=owner.workspace, user=invitee.user).count() == 1
