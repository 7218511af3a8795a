from __future__ import annotations

from datetime import timedelta
from unittest.mock import ANY

from api.accounts.models import EmailToken
from api.core import clock
from tests.factories.accounts import PASSWORD, create_account
from tests.mail import link_token

REQUEST = "mutation($email: String!) { requestPasswordReset(email: $email) }"
RESET = """
mutation($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password) {
    token user { email emailVerified } errors { field code }
  }
}"""
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token errors { code } }
}"""
VIEWER = "{ viewer { user { email } } }"
NEW = "a brand new password"


async def _reset_link(gql, mailbox, run_core_jobs, email: str) -> str:
    assert await gql(REQUEST, {"email": email}) == {
        "extensions": ANY,
        "data": {"requestPasswordReset": True},
    }
    await run_core_jobs()
    return link_token(mailbox.bodies(email)[-1], "/reset-password")


async def test_reset_sets_the_password_ends_every_session_and_opens_a_new_one(
    client, gql, mailbox, run_core_jobs, settings
) -> None:
    account = await create_account(settings, email="amnesia@example.test")
    token = await _reset_link(gql, mailbox, run_core_jobs, "amnesia@example.test")
    assert token.startswith("hf_mail_")

    response = await client.post(
        "/graphql", json={"query": RESET, "variables": {"token": token, "password": NEW}}
    )

    payload = response.json()["data"]["resetPassword"]
    assert payload["errors"] == []
    assert payload["user"] == {"email": "amnesia@example.test", "emailVerified": True}
    assert "hitflow_session=" in response.headers["set-cookie"]
    new_session = payload["token"]
    assert (await gql(VIEWER, token=new_session))["data"]["viewer"]["user"]["email"]
    # The old session is gone, the old password no longer works, the new one does.
    old = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {account.token}"}
    )
    assert old.status_code == 401
    bad = await gql(LOG_IN, {"email": "amnesia@example.test", "password": PASSWORD})
    assert bad["data"]["logIn"]["errors"] == [{"code": "WRONG_PASSWORD"}]
    good = await gql(LOG_IN, {"email": "amnesia@example.test", "password": NEW})
    assert good["data"]["logIn"]["token"]
    # The owner is told.
    await run_core_jobs()
    subjects = [m["Subject"] for m in mailbox.to("amnesia@example.test")]
    assert "Your Hitflow password was changed" in subjects


async def test_a_reset_link_works_once(gql, mailbox, run_core_jobs, settings) -> None:
    await create_account(settings, email="twice@example.test")
    token = await _reset_link(gql, mailbox, run_core_jobs, "twice@example.test")
    await gql(RESET, {"token": token, "password": NEW})

    again = await gql(RESET, {"token": token, "password": "yet another password"})

    assert again["data"]["resetPassword"] == {
        "token": None,
        "user": None,
        "errors": [{"field": "token", "code": "INVALID"}],
    }
    ok = await gql(LOG_IN, {"email": "twice@example.test", "password": NEW})
    assert ok["data"]["logIn"]["token"]


async def test_a_reset_link_expires_after_one_hour(gql, mailbox, run_core_jobs, settings) -> None:
    await create_account(settings, email="slow@example.test")
    token = await _reset_link(gql, mailbox, run_core_jobs, "slow@example.test")
    clock.advance(timedelta(hours=1, seconds=1))

    result = await gql(RESET, {"token": token, "password": NEW})

    assert result["data"]["resetPassword"]["errors"] == [{"field": "token", "code": "EXPIRED"}]
    still = await gql(LOG_IN, {"email": "slow@example.test", "password": PASSWORD})
    assert still["data"]["logIn"]["token"]


async def test_a_short_new_password_is_refused_without_using_up_the_link(
    gql, mailbox, run_core_jobs, settings
) -> None:
    await create_account(settings, email="short@example.test")
    token = await _reset_link(gql, mailbox, run_core_jobs, "short@example.test")

    short = await gql(RESET, {"token": token, "password": "tiny"})
    assert short["data"]["resetPassword"]["errors"] == [{"field": "password", "code": "INVALID"}]

    ok = await gql(RESET, {"token": token, "password": NEW})
    assert ok["data"]["resetPassword"]["errors"] == []


async def test_a_newer_reset_voids_older_links(gql, mailbox, run_core_jobs, settings) -> None:
    await create_account(settings, email="many@example.test")
    first = await _reset_link(gql, mailbox, run_core_jobs, "many@example.test")
    second = await _reset_link(gql, mailbox, run_core_jobs, "many@example.test")
    await gql(RESET, {"token": second, "password": NEW})

    result = await gql(RESET, {"token": first, "password": "someone else's choice"})

    assert result["data"]["resetPassword"]["errors"] == [{"field": "token", "code": "INVALID"}]


async def test_unknown_address_gets_true_and_no_mail(gql, mailbox, run_core_jobs) -> None:
    assert await gql(REQUEST, {"email": "ghost@example.test"}) == {
        "extensions": ANY,
        "data": {"requestPasswordReset": True},
    }
    assert await gql(REQUEST, {"email": "not an address"}) == {
        "extensions": ANY,
        "data": {"requestPasswordReset": True},
    }
    await run_core_jobs()
    assert mailbox.messages == []
    assert await EmailToken.all().count() == 0


async def test_reset_mails_to_one_address_are_capped(gql, mailbox, run_core_jobs, settings) -> None:
    await create_account(settings, email="flooded@example.test")
    for _ in range(6):
        await gql(REQUEST, {"email": "flooded@example.test"})
    await run_core_jobs()
    assert len(mailbox.to("flooded@example.test")) == 3
