"""Per-credential rate limits also count websocket operations (issue 11, point 4)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.accounts import create_account, create_pat
from tests.live.helpers import open_socket, subscribed
from tests.live.wsops import codes, ws_op

VIEWER = "{ viewer { user { id } } }"
STATUS = "subscription($ws: ID!) { targetStatusChanged(workspaceId: $ws) { id } }"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"oauth_rate_limit_per_minute": 5, "session_rate_limit_per_minute": 8}


async def test_a_token_flooding_one_socket_is_rate_limited(live, client, gql, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["account:read", "targets:read"])
    ws = await open_socket(live.url, pat)

    answers = [codes(await ws_op(ws, VIEWER)) for _ in range(8)]

    assert answers[:5] == [[]] * 5
    assert answers[5:] == [["RATE_LIMITED"]] * 3
    # One budget per token: HTTP requests with it are refused too, other tokens are not.
    headers = {"Authorization": f"Bearer {pat}"}
    http = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert http.status_code == 429
    other = await create_pat(account.user, ["account:read"])
    assert codes(await gql(VIEWER, token=other)) == []
    await ws.close()


async def test_http_requests_and_socket_operations_share_the_budget(live, gql, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["account:read"])
    for _ in range(5):
        assert codes(await gql(VIEWER, token=pat)) == []
    ws = await open_socket(live.url, pat)
    refused = await ws_op(ws, VIEWER)
    assert codes(refused) == ["RATE_LIMITED"]
    assert refused["errors"][0]["extensions"]["retryAfter"] >= 1
    await ws.close()


async def test_subscription_starts_count_too(live, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["targets:read"])
    ws = await open_socket(live.url, pat)
    for _ in range(5):
        assert codes(await ws_op(ws, VIEWER)) in ([], ["FORBIDDEN"])
    async with subscribed(live.url, pat, STATUS, {"ws": account.workspace_gid}) as sub:
        error = await sub.wait_error()
    assert "RATE_LIMITED" in str(error), repr(error)
    await ws.close()


async def test_a_session_has_its_own_higher_budget(live, settings) -> None:
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token)
    answers = [codes(await ws_op(ws, VIEWER)) for _ in range(10)]
    assert answers[:8] == [[]] * 8
    assert answers[8:] == [["RATE_LIMITED"]] * 2
    await ws.close()
