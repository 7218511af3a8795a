"""GraphQL documents and a phone-style code generator for the account-security tests."""

from __future__ import annotations

from typing import Any

import pyotp

from api.core import clock

LOG_IN = """mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) {
  token mfaRequired mfaToken mfaFactors user { email } errors { field code message } } }"""
COMPLETE = """mutation($t: String!, $c: String, $r: String) {
  completeLogIn(mfaToken: $t, totpCode: $c, recoveryCode: $r) {
    token mfaRequired user { email } errors { field code message } } }"""
START = "mutation { startTotpEnrollment { secret uri qrSvg errors { code } } }"
CONFIRM = """mutation($c: String!) { confirmTotpEnrollment(code: $c) {
  recoveryCodes errors { field code message } } }"""
DISABLE = """mutation($p: String!, $c: String!) { disableTotp(password: $p, code: $c) {
  user { secondFactors } errors { field code } } }"""
REGENERATE = """mutation($p: String!, $c: String!) { regenerateRecoveryCodes(password: $p, code: $c) {
  recoveryCodes errors { field code } } }"""
FACTORS = "{ viewer { user { secondFactors } } }"


def phone(secret: str, *, steps: int = 0) -> str:
    """The code an authenticator app shows now (`steps` 30-second steps later or earlier)."""
    return pyotp.TOTP(secret).at(clock.now().timestamp() + steps * 30)


async def enrol(gql: Any, token: str) -> tuple[str, list[str]]:
    """Set up an authenticator app through the API; return its secret and recovery codes."""
    started = (await gql(START, token=token))["data"]["startTotpEnrollment"]
    secret = started["secret"]
    confirmed = (await gql(CONFIRM, {"c": phone(secret)}, token=token))["data"]
    assert confirmed["confirmTotpEnrollment"]["errors"] == []
    return secret, confirmed["confirmTotpEnrollment"]["recoveryCodes"]


def next_step() -> None:
    """Move the clock to the next 30-second step (a code cannot be used twice in one)."""
    from datetime import timedelta

    clock.advance(timedelta(seconds=30))
