from __future__ import annotations

from datetime import timedelta

from api.accounts.models import User
from api.core import clock
from tests.mail import link_token

SIGN_UP = """
mutation($email: String!) { signUp(email: $email, password: "a long enough password") {
  errors { code } } }"""
VERIFY = """
mutation($token: String!) {
  verifyEmail(token: $token) { user { email emailVerified } errors { field code } }
}"""
LOG_IN = """
mutation($email: String!) { logIn(email: $email, password: "a long enough password") {
  token errors { code } } }"""
VIEWER = "{ viewer { user { email emailVerified } workspaces { viewerRole } } }"


async def _signed_up(gql, mailbox, run_core_jobs, email: str) -> str:
    await gql(SIGN_UP, {"email": email})
    await run_core_jobs()
    return link_token(mailbox.bodies(email)[-1], "/verify-email")


async def test_verification_link_confirms_the_address_then_login_and_viewer_work(
    gql, mailbox, run_core_jobs
) -> None:
    token = await _signed_up(gql, mailbox, run_core_jobs, "ann@example.test")

    result = await gql(VERIFY, {"token": token})

    assert result["data"]["verifyEmail"] == {
        "user": {"email": "ann@example.test", "emailVerified": True},
        "errors": [],
    }
    assert (await User.get(email="ann@example.test")).email_verified
    login = await gql(LOG_IN, {"email": "ann@example.test"})
    session = login["data"]["logIn"]["token"]
    assert session.startswith("hf_sess_")
    viewer = await gql(VIEWER, token=session)
    assert viewer["data"]["viewer"] == {
        "user": {"email": "ann@example.test", "emailVerified": True},
        "workspaces": [{"viewerRole": "OWNER"}],
    }


async def test_a_verification_link_works_only_once(gql, mailbox, run_core_jobs) -> None:
    token = await _signed_up(gql, mailbox, run_core_jobs, "once@example.test")
    await gql(VERIFY, {"token": token})

    again = await gql(VERIFY, {"token": token})

    assert again["data"]["verifyEmail"] == {
        "user": None,
        "errors": [{"field": "token", "code": "INVALID"}],
    }


async def test_a_verification_link_expires_after_24_hours(gql, mailbox, run_core_jobs) -> None:
    token = await _signed_up(gql, mailbox, run_core_jobs, "late@example.test")
    clock.advance(timedelta(hours=24, seconds=1))

    result = await gql(VERIFY, {"token": token})

    assert result["data"]["verifyEmail"]["errors"] == [{"field": "token", "code": "EXPIRED"}]
    assert not (await User.get(email="late@example.test")).email_verified


async def test_a_link_just_before_expiry_still_works(gql, mailbox, run_core_jobs) -> None:
    token = await _signed_up(gql, mailbox, run_core_jobs, "ontime@example.test")
    clock.advance(timedelta(hours=23, minutes=59))
    result = await gql(VERIFY, {"token": token})
    assert result["data"]["verifyEmail"]["errors"] == []


async def test_made_up_tokens_are_invalid(gql) -> None:
    for token in ["", "nonsense", "hf_mail_" + "A" * 43, "hf_sess_" + "A" * 43, "x" * 5000]:
        result = await gql(VERIFY, {"token": token})
        assert result["data"]["verifyEmail"]["errors"] == [{"field": "token", "code": "INVALID"}]
