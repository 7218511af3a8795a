"""Second-factor guesses are counted before they are judged: per mfaToken (5, then the
token is void) and per account (10 in 15 minutes), concurrent guesses included."""

from __future__ import annotations

import asyncio

import pyotp

from api.accounts.mfa import MAX_ATTEMPTS_PER_ACCOUNT, MAX_ATTEMPTS_PER_TOKEN
from tests.accounts.helpers import COMPLETE, LOG_IN, phone
from tests.factories.accounts import PASSWORD, create_account

SECRET = pyotp.random_base32()


def _wrong() -> str:
    return f"{(int(phone(SECRET)) + 500000) % 1000000:06d}"


async def _mfa_token(gql, email: str) -> str:
    return (await gql(LOG_IN, {"e": email, "p": PASSWORD}))["data"]["logIn"]["mfaToken"]


async def test_concurrent_guesses_on_one_token_void_it(gql, settings) -> None:
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    token = await _mfa_token(gql, "ada@example.test")

    # 12 guesses at once: only MAX_ATTEMPTS_PER_TOKEN are judged
    results = await asyncio.gather(*(gql(COMPLETE, {"t": token, "c": _wrong()}) for _ in range(12)))

    errors = [r["data"]["completeLogIn"]["errors"][0] for r in results]
    judged = [e for e in errors if e["field"] == "totpCode"]
    assert len(judged) == MAX_ATTEMPTS_PER_TOKEN
    assert all(e["code"] == "INVALID_CODE" for e in errors)
    # Then even the right code on that token is refused: log in again
    right = await gql(COMPLETE, {"t": token, "c": phone(SECRET)})
    assert right["data"]["completeLogIn"]["errors"][0]["field"] == "mfaToken"
    fresh = await gql(
        COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "c": phone(SECRET)}
    )
    assert fresh["data"]["completeLogIn"]["token"]


async def test_new_tokens_do_not_give_more_guesses_per_account(client, gql, settings) -> None:
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    await create_account(settings, email="bob@example.test", totp_secret=SECRET)
    for _ in range(MAX_ATTEMPTS_PER_ACCOUNT // 2):
        token = await _mfa_token(gql, "ada@example.test")
        for _ in range(2):
            await gql(COMPLETE, {"t": token, "c": _wrong()})

    token = await _mfa_token(gql, "ada@example.test")
    response = await client.post(
        "/graphql", json={"query": COMPLETE, "variables": {"t": token, "c": phone(SECRET)}}
    )

    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) > 0
    # Another account is not affected
    bob = await gql(COMPLETE, {"t": await _mfa_token(gql, "bob@example.test"), "c": phone(SECRET)})
    assert bob["data"]["completeLogIn"]["token"]
