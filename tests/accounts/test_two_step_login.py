"""Signing in with a second factor: logIn gives an mfaToken (no session), completeLogIn
with a code from the phone (once, +-1 step) or a recovery code (once) gives the session."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from api.accounts import email_tokens
from api.accounts.models import Session
from api.accounts.service import RESET_TTL
from api.core import clock
from tests.accounts.helpers import COMPLETE, LOG_IN, next_step, phone
from tests.factories.accounts import PASSWORD, create_account

SECRET = pyotp.random_base32()


async def _mfa_token(gql, email: str) -> str:
    payload = (await gql(LOG_IN, {"e": email, "p": PASSWORD}))["data"]["logIn"]
    assert payload["mfaRequired"] is True
    return payload["mfaToken"]


async def test_login_asks_for_the_second_factor_and_opens_no_session(client, gql, settings):
    account = await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    sessions_before = await Session.filter(user_id=account.user.id).count()

    response = await client.post(
        "/graphql", json={"query": LOG_IN, "variables": {"e": "ada@example.test", "p": PASSWORD}}
    )

    payload = response.json()["data"]["logIn"]
    assert payload["errors"] == []
    assert payload["token"] is None and payload["user"] is None
    assert payload["mfaRequired"] is True
    assert payload["mfaToken"].startswith("hf_mfa_")
    assert payload["mfaFactors"] == ["TOTP"]
    assert "set-cookie" not in response.headers
    assert await Session.filter(user_id=account.user.id).count() == sessions_before
    # The mfaToken is no credential
    viewer = await client.post(
        "/graphql",
        json={"query": "{ viewer { user { email } } }"},
        headers={"Authorization": f"Bearer {payload['mfaToken']}"},
    )
    assert viewer.status_code == 401


async def test_the_phones_code_completes_the_login(client, gql, settings) -> None:
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    mfa_token = await _mfa_token(gql, "ada@example.test")

    response = await client.post(
        "/graphql", json={"query": COMPLETE, "variables": {"t": mfa_token, "c": phone(SECRET)}}
    )

    payload = response.json()["data"]["completeLogIn"]
    assert payload["errors"] == []
    assert payload["token"].startswith("hf_sess_")
    assert payload["user"] == {"email": "ada@example.test"}
    assert client.cookies.get("hitflow_session") == payload["token"]
    viewer = await gql("{ viewer { user { email } } }", token=payload["token"])
    assert viewer["data"]["viewer"]["user"]["email"] == "ada@example.test"


async def test_a_code_is_accepted_once(gql, settings) -> None:
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    code = phone(SECRET)
    first = await gql(COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "c": code})
    assert first["data"]["completeLogIn"]["token"]

    # The same code, seen by someone else, within its window
    replay = await gql(COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "c": code})

    assert replay["data"]["completeLogIn"] == {
        "token": None,
        "mfaRequired": False,
        "user": None,
        "errors": [
            {
                "field": "totpCode",
                "code": "INVALID_CODE",
                "message": "This code is wrong, expired or was already used.",
            }
        ],
    }
    # An older code (previous step) is refused too once a later one was used
    older = await gql(
        COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "c": phone(SECRET, steps=-1)}
    )
    assert older["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID_CODE"
    next_step()
    fresh = await gql(
        COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "c": phone(SECRET)}
    )
    assert fresh["data"]["completeLogIn"]["token"]


async def test_one_step_of_clock_drift_is_accepted_two_are_not(gql, settings) -> None:
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)

    for steps, accepted in ((2, False), (-2, False), (-1, True), (1, True)):
        token = await _mfa_token(gql, "ada@example.test")
        result = await gql(COMPLETE, {"t": token, "c": phone(SECRET, steps=steps)})
        assert bool(result["data"]["completeLogIn"]["token"]) is accepted, steps
        next_step()
        next_step()
        next_step()


async def test_the_mfa_token_is_single_use_and_expires_after_five_minutes(gql, settings) -> None:
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    token = await _mfa_token(gql, "ada@example.test")
    assert (await gql(COMPLETE, {"t": token, "c": phone(SECRET)}))["data"]["completeLogIn"]["token"]
    next_step()

    reused = await gql(COMPLETE, {"t": token, "c": phone(SECRET)})
    assert reused["data"]["completeLogIn"]["errors"][0] == {
        "field": "mfaToken",
        "code": "INVALID_CODE",
        "message": "This sign-in expired or was already completed: log in again.",
    }

    late = await _mfa_token(gql, "ada@example.test")
    clock.advance(timedelta(minutes=5, seconds=1))
    expired = await gql(COMPLETE, {"t": late, "c": phone(SECRET)})
    assert expired["data"]["completeLogIn"]["errors"][0]["field"] == "mfaToken"
    made_up = await gql(COMPLETE, {"t": "hf_mfa_madeup", "c": phone(SECRET)})
    assert made_up["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID_CODE"


async def test_exactly_one_factor_must_be_given(gql, settings) -> None:
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    token = await _mfa_token(gql, "ada@example.test")

    none = await gql(COMPLETE, {"t": token})
    both = await gql(COMPLETE, {"t": token, "c": phone(SECRET), "r": "abcde-fghij"})

    assert none["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID"
    assert both["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID"
    ok = await gql(COMPLETE, {"t": token, "c": phone(SECRET)})
    assert ok["data"]["completeLogIn"]["token"]


async def test_a_wrong_password_says_nothing_about_factors(gql, settings) -> None:
    await create_account(settings, email="with@example.test", totp_secret=SECRET)
    await create_account(settings, email="without@example.test")

    answers = [
        (await gql(LOG_IN, {"e": email, "p": "wrong password!"}))["data"]["logIn"]
        for email in ("with@example.test", "without@example.test", "nobody@example.test")
    ]

    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["mfaRequired"] is False and answers[0]["mfaToken"] is None
    assert answers[0]["mfaFactors"] == []
    assert answers[0]["errors"][0]["code"] == "WRONG_PASSWORD"


async def test_accounts_without_a_factor_sign_in_in_one_step(gql, settings) -> None:
    await create_account(settings, email="plain@example.test")
    payload = (await gql(LOG_IN, {"e": "plain@example.test", "p": PASSWORD}))["data"]["logIn"]
    assert payload["token"] and payload["mfaRequired"] is False and payload["mfaToken"] is None


async def test_a_password_reset_link_does_not_skip_the_second_factor(gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    link = await email_tokens.issue(account.user, email_tokens.RESET_PASSWORD, RESET_TTL)

    reset = await gql(
        """mutation($t: String!) { resetPassword(token: $t, password: "a brand new password") {
        token mfaRequired mfaToken errors { code } } }""",
        {"t": link},
    )

    payload = reset["data"]["resetPassword"]
    assert payload["errors"] == [] and payload["token"] is None
    assert payload["mfaRequired"] is True
    done = await gql(COMPLETE, {"t": payload["mfaToken"], "c": phone(SECRET)})
    assert done["data"]["completeLogIn"]["token"]
