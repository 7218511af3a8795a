"""Single-use and uniqueness rules hold when requests race."""

from __future__ import annotations

import asyncio
from unittest.mock import ANY

from api.accounts.models import Session, User
from api.workspaces.models import Membership
from tests.factories.accounts import create_account
from tests.mail import link_token

SIGN_UP = """mutation($e: String!) { signUp(email: $e, password: "racing password") {
  errors { code } } }"""
REQUEST = "mutation($e: String!) { requestPasswordReset(email: $e) }"
RESET = """mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) {
  token errors { code } } }"""


async def test_simultaneous_sign_ups_with_one_address_make_one_account(gql) -> None:
    results = await asyncio.gather(*[gql(SIGN_UP, {"e": "twin@example.test"}) for _ in range(4)])

    assert all(r == {"extensions": ANY, "data": {"signUp": {"errors": []}}} for r in results)
    assert await User.filter(email="twin@example.test").count() == 1
    assert await Membership.filter(user__email="twin@example.test").count() == 1


async def test_a_reset_link_used_twice_at_once_works_once(
    gql, settings, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings, email="race@example.test")
    await gql(REQUEST, {"e": "race@example.test"})
    await run_core_jobs()
    token = link_token(mailbox.bodies("race@example.test")[-1], "/reset-password")

    results = await asyncio.gather(
        gql(RESET, {"t": token, "p": "first racer password"}),
        gql(RESET, {"t": token, "p": "second racer password"}),
    )

    winners = [r for r in results if r["data"]["resetPassword"]["token"]]
    assert len(winners) == 1
    losers = [r for r in results if not r["data"]["resetPassword"]["token"]]
    assert losers[0]["data"]["resetPassword"]["errors"] == [{"code": "INVALID"}]
    # The factory's session was revoked; exactly one new session is live.
    assert await Session.filter(user=account.user, revoked_at=None).count() == 1
