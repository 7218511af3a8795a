"""Invitations are not a mail cannon (issue 11, point 7): per-day limits per workspace,
inviter and recipient, one mail per workspace and address per day, and no user text in
subjects (it is quoted and defanged in bodies). Delivered through the aiosmtpd server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.workspaces.models import Invitation, Role, Workspace
from tests.factories.accounts import add_member, create_account

INVITE = """mutation($ws: ID!, $email: String!, $role: Role!) {
  inviteMember(workspaceId: $ws, email: $email, role: $role) {
    invitation { id email role } errors { field code retryAfter } } }"""
REVOKE = "mutation($id: ID!) { revokeInvitation(id: $id) { deletedId errors { code } } }"
CREATE = """mutation($name: String!) { createWorkspace(name: $name) {
  workspace { id } errors { code } } }"""
PHISHING = "URGENT: verify your bank account at https://bank.evil.example/login"


def _code(result: dict[str, Any]) -> str | None:
    if result.get("errors"):
        return str(result["errors"][0]["extensions"]["code"])
    errors = result["data"]["inviteMember"]["errors"]
    return str(errors[0]["code"]) if errors else None


async def _invite(gql, account, email: str, role: str = "MEMBER", ws: str | None = None):
    return await gql(
        INVITE,
        {"ws": ws or account.workspace_gid, "email": email, "role": role},
        token=account.token,
    )


async def test_15_invitations_to_one_address_deliver_one_mail_without_user_text_in_subject(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings, email="owner@example.test")
    await Workspace.filter(id=owner.workspace.id).update(name=PHISHING)

    results = [await _invite(gql, owner, "outsider@example.test") for _ in range(15)]
    await run_core_jobs()

    # The same success each time (the pending invitation), one mail.
    assert {_code(r) for r in results} == {None}
    ids = {r["data"]["inviteMember"]["invitation"]["id"] for r in results}
    assert len(ids) == 1
    [mail] = mailbox.to("outsider@example.test")
    assert mail["Subject"] == "You are invited to a workspace on Hitflow"
    body = mail.get_content()
    assert "https://bank.evil.example" not in body and "bank.evil.example" not in body
    assert '"URGENT: verify your bank account at https[:]//bank[.]evil[.]example/login"' in body
    assert "chosen by its members, not by Hitflow" in body


async def test_reinviting_within_the_day_changes_the_role_without_a_mail(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)
    first = await _invite(gql, owner, "x@example.test", "VIEWER")
    again = await _invite(gql, owner, "x@example.test", "ADMIN")
    await run_core_jobs()

    assert again["data"]["inviteMember"]["invitation"] == {
        **first["data"]["inviteMember"]["invitation"],
        "role": "ADMIN",
    }
    assert len(mailbox.to("x@example.test")) == 1
    assert [i.role for i in await Invitation.filter(email="x@example.test")] == [Role.ADMIN]


async def test_revoke_then_reinvite_within_the_day_is_rate_limited(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)
    first = await _invite(gql, owner, "y@example.test")
    invitation_id = first["data"]["inviteMember"]["invitation"]["id"]
    revoked = await gql(REVOKE, {"id": invitation_id}, token=owner.token)
    assert revoked["data"]["revokeInvitation"]["errors"] == []

    again = await _invite(gql, owner, "y@example.test")
    await run_core_jobs()

    assert _code(again) == "RATE_LIMITED"
    # A form error on the address, with the wait (not a top-level error).
    (error,) = again["data"]["inviteMember"]["errors"]
    assert error["field"] == "email"
    assert 0 < error["retryAfter"] <= 86400
    assert len(mailbox.to("y@example.test")) == 1


async def test_concurrent_invitations_to_one_address_send_one_mail(
    gql, settings, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)

    results = await asyncio.gather(*[_invite(gql, owner, "z@example.test") for _ in range(20)])
    await run_core_jobs()

    assert {_code(r) for r in results} <= {None, "RATE_LIMITED"}
    assert len(mailbox.to("z@example.test")) == 1
    assert await Invitation.filter(email="z@example.test").count() == 1


async def test_one_recipient_gets_at_most_the_daily_limit_across_workspaces(
    gql, settings, mailbox, run_core_jobs
) -> None:
    limit = settings.invitations_per_recipient_per_day
    inviters = [await create_account(settings) for _ in range(limit + 3)]

    results = await asyncio.gather(*[_invite(gql, a, "victim@example.test") for a in inviters])
    await run_core_jobs()

    assert sorted(_code(r) or "OK" for r in results) == ["OK"] * limit + ["RATE_LIMITED"] * 3
    assert len(mailbox.to("victim@example.test")) == limit


class TestSmallLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"invitations_per_inviter_per_day": 4, "invitations_per_workspace_per_day": 6}

    async def test_an_inviter_is_limited_across_their_workspaces(
        self, gql, settings, mailbox, run_core_jobs
    ) -> None:
        owner = await create_account(settings)
        second = await gql(CREATE, {"name": "Second"}, token=owner.token)
        ws2 = second["data"]["createWorkspace"]["workspace"]["id"]

        codes = [_code(await _invite(gql, owner, f"a{i}@example.test")) for i in range(3)]
        codes += [_code(await _invite(gql, owner, f"b{i}@example.test", ws=ws2)) for i in range(3)]
        await run_core_jobs()

        assert codes == [None] * 4 + ["RATE_LIMITED"] * 2
        assert len(mailbox.messages) == 4

    async def test_workspace_limit_counts_every_admin(
        self, gql, settings, mailbox, run_core_jobs
    ) -> None:
        owner = await create_account(settings)
        admin = await create_account(settings)
        await add_member(owner.workspace, admin.user, Role.ADMIN)

        codes = [_code(await _invite(gql, owner, f"c{i}@example.test")) for i in range(4)]
        codes += [
            _code(await _invite(gql, admin, f"d{i}@example.test", ws=owner.workspace_gid))
            for i in range(4)
        ]
        await run_core_jobs()

        assert codes == [None] * 6 + ["RATE_LIMITED"] * 2
        assert len(mailbox.messages) == 6
