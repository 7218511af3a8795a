"""Passwords and tokens never reach the logs (structlog writes JSON lines to stderr)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from api.core.logging import configure_logging
from tests.mail import link_token

SIGN_UP = (
    """mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { errors { code } } }"""
)
VERIFY = "mutation($t: String!) { verifyEmail(token: $t) { errors { code } } }"
LOG_IN = """mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) {
  token errors { code } } }"""
RESET_REQ = "mutation($e: String!) { requestPasswordReset(email: $e) }"
RESET = """mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) {
  token errors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { errors { code } } }"""
PAT = """mutation { createPersonalAccessToken(name: "ci", scopes: ["account:read"]) { token } }"""
BROKEN = "{ viewer { user { email } } }"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging binds the current stderr, which capfd replaces for one test
    only: put the previous configuration back afterwards."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers = list(root.handlers)
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers


FIRST = "first-Secret-Passw0rd"
WRONG = "wrong-Secret-Passw0rd"
SECOND = "second-Secret-Passw0rd"
THIRD = "third-Secret-Passw0rd"


async def test_no_password_or_token_appears_in_the_logs(
    client, gql, mailbox, run_core_jobs, capfd, restore_logging
) -> None:
    configure_logging("DEBUG", json=True)  # the app's JSON logs, with their redaction
    email = "careful@example.test"
    secrets: list[str] = [FIRST, WRONG, SECOND, THIRD]

    await gql(SIGN_UP, {"e": email, "p": FIRST})
    await run_core_jobs()
    verify_token = link_token(mailbox.bodies(email)[-1], "/verify-email")
    secrets.append(verify_token)
    await gql(VERIFY, {"t": verify_token})
    await gql(LOG_IN, {"e": email, "p": WRONG})
    session = (await gql(LOG_IN, {"e": email, "p": FIRST}))["data"]["logIn"]["token"]
    secrets.append(session)
    await gql(RESET_REQ, {"e": email})
    await run_core_jobs()
    reset_token = link_token(mailbox.bodies(email)[-1], "/reset-password")
    secrets.append(reset_token)
    new_session = (await gql(RESET, {"t": reset_token, "p": SECOND}))["data"]["resetPassword"]
    secrets.append(new_session["token"])
    await gql(CHANGE, {"c": WRONG, "n": THIRD}, token=new_session["token"])
    await gql(CHANGE, {"c": SECOND, "n": THIRD}, token=new_session["token"])
    pat = (await gql(PAT, token=new_session["token"]))["data"]["createPersonalAccessToken"]
    secrets.append(pat["token"])
    # A rejected bearer token is not echoed either.
    await client.post(
        "/graphql",
        json={"query": BROKEN},
        headers={"Authorization": "Bearer hf_sess_madeUpButSecret123"},
    )
    secrets.append("hf_sess_madeUpButSecret123")
    await run_core_jobs()

    out, err = capfd.readouterr()
    logs = out + err
    # The logs did capture the story (so the check below is not vacuous)...
    for event in ("account_created", "login_failed", "login_succeeded", "password_reset"):
        assert event in logs, event
    assert "password_changed" in logs and "pat_created" in logs
    # ...and none of the secrets.
    for secret in secrets:
        assert secret not in logs, f"secret leaked into logs: {secret[:8]}..."
    assert not re.search(r"hf_(sess|pat|mail)_[A-Za-z0-9_-]{20,}", logs)
    # Argon2 hashes are not logged either.
    assert "$argon2id$" not in logs
