"""The member limit holds at acceptance too: invitations sent under a larger plan, or
accepted at the same moment at the limit, cannot overfill a workspace."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from api.billing import service
from api.billing.plans import PLANS, Plan
from api.core import clock
from api.core.tokens import EMAIL_PREFIX, hash_token, new_token
from api.workspaces.models import Invitation, Membership, Role
from tests.factories.accounts import Account, add_member, create_account

ACCEPT = """mutation($token: String!) { acceptInvitation(token: $token) {
  workspace { id } errors { field code message } } }"""
FREE_MEMBERS = PLANS[Plan.FREE].members


async def _invitation(owner: Account, email: str) -> str:
    token = new_token(EMAIL_PREFIX)
    await Invitation.create(
        workspace_id=owner.workspace.id,
        email=email,
        role=Role.MEMBER,
        token_hash=hash_token(token),
        invited_by_id=owner.user.id,
        expires_at=clock.now() + timedelta(days=7),
    )
    return token


async def test_concurrent_acceptances_at_limit_minus_one_let_exactly_one_join(
    gql, settings
) -> None:
    assert FREE_MEMBERS is not None
    # Given a FREE workspace one member short of its limit, and six invitations mailed
    # while it was on PRO.
    owner = await create_account(settings)
    for _ in range(FREE_MEMBERS - 2):
        await add_member(owner.workspace, (await create_account(settings)).user, Role.MEMBER)
    assert await Membership.filter(workspace_id=owner.workspace.id).count() == FREE_MEMBERS - 1
    invitees = [await create_account(settings) for _ in range(6)]
    tokens = [await _invitation(owner, invitee.user.email) for invitee in invitees]

    # When the six accept at once:
    results = await asyncio.gather(
        *[
            gql(ACCEPT, {"token": token}, token=invitee.token)
            for invitee, token in zip(invitees, tokens, strict=True)
        ]
    )

    # Then exactly one joins; the others are told the workspace is full, and why.
    errors = [r["data"]["acceptInvitation"]["errors"] for r in results]
    assert (
        sorted(e[0]["code"] if e else "JOINED" for e in errors) == ["JOINED"] + ["PLAN_LIMIT"] * 5
    )
    refusal = next(e[0] for e in errors if e)
    assert refusal["field"] == "token"
    assert f"members is {FREE_MEMBERS} on the FREE plan" in refusal["message"]
    assert "ask its owners to upgrade the plan" in refusal["message"]
    assert await Membership.filter(workspace_id=owner.workspace.id).count() == FREE_MEMBERS
    # Nothing half-written: the refused invitations are still pending, unused.
    assert await Invitation.filter(workspace_id=owner.workspace.id, accepted_at=None).count() == 5


async def test_a_refused_invitation_works_once_the_plan_has_room(gql, settings) -> None:
    assert FREE_MEMBERS is not None
    owner = await create_account(settings)
    for _ in range(FREE_MEMBERS - 1):
        await add_member(owner.workspace, (await create_account(settings)).user, Role.MEMBER)
    invitee = await create_account(settings)
    token = await _invitation(owner, invitee.user.email)

    refused = await gql(ACCEPT, {"token": token}, token=invitee.token)
    await service.set_plan(settings, owner.workspace.id, Plan.PRO)
    accepted = await gql(ACCEPT, {"token": token}, token=invitee.token)

    assert refused["data"]["acceptInvitation"]["errors"][0]["code"] == "PLAN_LIMIT"
    assert accepted["data"]["acceptInvitation"]["errors"] == []
    assert await Membership.filter(workspace_id=owner.workspace.id).count() == FREE_MEMBERS + 1
