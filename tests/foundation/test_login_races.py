"""Login throttling holds against concurrent attempts (issue 11, point 3).

The attempt is counted atomically before the password is checked, so a burst of
parallel guesses cannot all slip through before the first failure is recorded."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from api.accounts.models import Session
from tests.factories.accounts import PASSWORD, create_account

LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token errors { code } }
}"""
CHANGE = """
mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { errors { code } }
}"""


def _outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    payload = next(iter(body["data"].values()))
    if payload["errors"]:
        return str(payload["errors"][0]["code"])
    return "OK"


async def _attempts(app: Any, email: str, passwords: list[str]) -> list[str]:
    """Post one logIn per password, all at once, each from its own IP (so only the
    per-account limit applies)."""
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(f"198.51.{i // 250}.{i % 250 + 1}", 1)),
            base_url="http://testserver",
        )
        for i in range(len(passwords))
    ]
    try:
        responses = await asyncio.gather(
            *[
                c.post(
                    "/graphql", json={"query": LOG_IN, "variables": {"email": email, "password": p}}
                )
                for c, p in zip(clients, passwords, strict=True)
            ]
        )
    finally:
        for c in clients:
            await c.aclose()
    return [_outcome(r.json()) for r in responses]


async def test_120_concurrent_wrong_passwords_get_at_most_the_limit_of_answers(
    app, settings
) -> None:
    account = await create_account(settings, email="victim@example.test")
    limit = settings.login_max_failures_per_account

    outcomes = Counter(await _attempts(app, "victim@example.test", ["wrong guess!"] * 120))

    assert outcomes["WRONG_PASSWORD"] <= limit
    assert outcomes["WRONG_PASSWORD"] + outcomes["RATE_LIMITED"] == 120
    assert outcomes["RATE_LIMITED"] >= 120 - limit
    assert await Session.filter(user=account.user).count() == 1  # the factory's only


async def test_the_right_password_among_31_concurrent_attempts_after_the_limit_is_refused(
    app, settings
) -> None:
    account = await create_account(settings, email="victim2@example.test")
    limit = settings.login_max_failures_per_account
    await _attempts(app, "victim2@example.test", ["wrong guess!"] * limit)

    passwords = ["wrong guess!"] * 31
    passwords[20] = PASSWORD  # the attacker's 21st guess is right
    outcomes = await _attempts(app, "victim2@example.test", passwords)

    assert set(outcomes) == {"RATE_LIMITED"}
    assert await Session.filter(user=account.user).count() == 1


async def test_in_one_burst_at_most_the_limit_of_guesses_are_judged(app, settings) -> None:
    await create_account(settings, email="victim3@example.test")
    limit = settings.login_max_failures_per_account
    passwords = ["wrong guess!"] * 31
    passwords[20] = PASSWORD

    outcomes = Counter(await _attempts(app, "victim3@example.test", passwords))

    # Only `limit` attempts reach the password check: the right guess can win only by
    # being one of them, never by racing past the count.
    assert outcomes["WRONG_PASSWORD"] + outcomes["OK"] <= limit
    assert outcomes["RATE_LIMITED"] >= 31 - limit


async def test_successful_logins_do_not_use_up_the_ip_budget(client, settings) -> None:
    await create_account(settings, email="regular@example.test")
    for _ in range(settings.login_max_failures_per_ip + 3):
        response = await client.post(
            "/graphql",
            json={
                "query": LOG_IN,
                "variables": {"email": "regular@example.test", "password": PASSWORD},
            },
        )
        assert _outcome(response.json()) == "OK"


async def test_concurrent_wrong_current_passwords_in_change_password_are_throttled(
    gql, settings
) -> None:
    account = await create_account(settings, email="holder@example.test")
    limit = settings.login_max_failures_per_account

    results = await asyncio.gather(
        *[
            gql(CHANGE, {"c": "not the password", "n": "a brand new password"}, token=account.token)
            for _ in range(30)
        ]
    )

    outcomes = Counter(_outcome(r) for r in results)
    assert outcomes["WRONG_PASSWORD"] <= limit
    assert outcomes["WRONG_PASSWORD"] + outcomes["RATE_LIMITED"] == 30
