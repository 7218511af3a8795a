"""Per-token rate limit: RATE_LIMITED with Retry-After, per token, not per user."""

from __future__ import annotations

import pytest

from tests.factories.accounts import create_account, create_pat
from tests.oauth.helpers import grant, oauth_client, register_client

VIEWER = {"query": "{ viewer { user { email } } }"}


@pytest.fixture
def settings_overrides() -> dict[str, int]:
    return {"oauth_rate_limit_per_minute": 3}


async def calls(client, token: str, n: int) -> list:
    return [
        await client.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"})
        for _ in range(n)
    ]


async def test_oauth_token_over_the_limit_is_rate_limited(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        token = (await grant(oauth, gql, account))["access_token"]
    responses = await calls(client, token, 4)
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    limited = responses[-1]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    error = limited.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(limited.headers["retry-after"])
    # No payment provider: every workspace is UNLIMITED, whose plan sets no API rate, so
    # the operator's HITFLOW_OAUTH_RATE_LIMIT_PER_MINUTE sizes the budget.
    assert [r.headers["ratelimit-policy"] for r in responses] == ['"default";q=3;w=60'] * 4
    assert [r.headers["ratelimit"].split(";")[1] for r in responses] == ["r=2", "r=1", "r=0", "r=0"]
    # The user's own session is not limited by the token's counter.
    assert (await calls(client, account.token, 4))[-1].status_code == 200


async def test_personal_access_tokens_are_limited_too(client, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["account:read"])
    other = await create_pat(account.user, ["account:read"])
    assert [r.status_code for r in await calls(client, pat, 4)] == [200, 200, 200, 429]
    assert (await calls(client, other, 1))[0].status_code == 200  # per token
