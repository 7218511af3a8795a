"""The plan's API rate, enforced per token over real HTTP and websockets: a FREE
workspace's token is held to FREE's rate, the same token gets PRO's rate as soon as the
plan changes (no restart); answers carry the IETF RateLimit headers, exposed to browsers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from api.billing import service
from api.billing.plans import PLANS, Plan
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.live.helpers import open_socket
from tests.live.server import live, start_live  # noqa: F401 - fixtures
from tests.live.wsops import codes, ws_op

VIEWER = {"query": "{ viewer { user { email } } }"}
FREE_RATE = PLANS[Plan.FREE].api_requests_per_minute
PRO_RATE = PLANS[Plan.PRO].api_requests_per_minute
ORIGIN = "https://app.example.test"
LIMIT = re.compile(r'^"default";r=(\d+);t=(\d+)$')


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "cors_origins": [ORIGIN]}


@pytest_asyncio.fixture
async def http(live) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811 - the fixture
    """A real HTTP client to the uvicorn server on 127.0.0.1."""
    base = live.url.replace("ws://", "http://").removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        yield client


async def _post(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post(
        "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    )


def _remaining(response: httpx.Response) -> tuple[int, int]:
    found = LIMIT.match(response.headers["ratelimit"])
    assert found, response.headers["ratelimit"]
    return int(found[1]), int(found[2])


async def test_a_free_token_is_held_to_free_rate_then_gets_pro_rate_after_upgrade(
    http, settings
) -> None:
    assert FREE_RATE is not None and PRO_RATE is not None
    owner = await create_account(settings)
    pat = await create_pat(owner.user, ["account:read"])

    # Given a FREE workspace: its token's budget is FREE's rate, each answer says so.
    answers = [await _post(http, pat) for _ in range(FREE_RATE)]
    assert {r.status_code for r in answers} == {200}
    assert answers[0].headers["ratelimit-policy"] == f'"default";q={FREE_RATE};w=60'
    assert [_remaining(r)[0] for r in answers] == list(range(FREE_RATE - 1, -1, -1))
    assert all(1 <= _remaining(r)[1] <= 60 for r in answers)

    # When it sends one more: 429, Retry-After, RATE_LIMITED with retryAfter, r=0.
    refused = await _post(http, pat)
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 60
    (error,) = refused.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": wait}
    assert _remaining(refused) == (0, wait)
    assert refused.headers["ratelimit-policy"] == f'"default";q={FREE_RATE};w=60'
    # The browser may read them (CORS).
    exposed = refused.headers["access-control-expose-headers"].lower()
    assert {"ratelimit", "ratelimit-policy", "retry-after"} <= set(exposed.split(", "))

    # When the workspace moves to PRO (an operator's `hitflow plan set`), with no restart:
    await service.set_plan(settings, owner.workspace.id, Plan.PRO)

    # Then the same token, in the same window, has PRO's rate.
    again = await _post(http, pat)
    assert again.status_code == 200
    assert again.headers["ratelimit-policy"] == f'"default";q={PRO_RATE};w=60'
    assert _remaining(again)[0] == PRO_RATE - (FREE_RATE + 2)


async def test_websocket_operations_spend_the_plan_budget_too(live, http, settings) -> None:  # noqa: F811
    assert FREE_RATE is not None
    owner = await create_account(settings)
    pat = await create_pat(owner.user, ["account:read"])
    for _ in range(FREE_RATE - 1):
        assert (await _post(http, pat)).status_code == 200
    ws = await open_socket(live.url, pat)

    allowed = await ws_op(ws, VIEWER["query"])
    refused = await ws_op(ws, VIEWER["query"])

    assert codes(allowed) == []
    assert codes(refused) == ["RATE_LIMITED"]
    assert refused["errors"][0]["extensions"]["retryAfter"] >= 1
    await service.set_plan(settings, owner.workspace.id, Plan.PRO)
    assert codes(await ws_op(ws, VIEWER["query"])) == []  # the next operation, same socket
    await ws.close()


async def test_a_token_reaching_a_business_workspace_has_business_rate(http, settings) -> None:
    member = await create_account(settings)  # owns a FREE workspace
    business = await create_account(settings)
    await service.set_plan(settings, business.workspace.id, Plan.BUSINESS)
    await add_member(business.workspace, member.user, Role.MEMBER)
    pat = await create_pat(member.user, ["account:read"])

    response = await _post(http, pat)

    rate = PLANS[Plan.BUSINESS].api_requests_per_minute
    assert response.headers["ratelimit-policy"] == f'"default";q={rate};w=60'


async def test_sessions_carry_no_token_rate_headers(http, settings) -> None:
    owner = await create_account(settings)
    response = await _post(http, owner.token)
    assert response.status_code == 200
    assert "ratelimit" not in response.headers
    assert "ratelimit-policy" not in response.headers


async def test_a_metrics_scrape_spends_the_same_budget(http, settings) -> None:
    assert FREE_RATE is not None
    owner = await create_account(settings)
    pat = await create_pat(owner.user, ["metrics:read"])
    for _ in range(FREE_RATE):
        assert (await _post(http, pat)).status_code == 200

    scrape = await http.get(
        "/metrics",
        params={"workspace": owner.workspace_gid},
        headers={"Authorization": f"Bearer {pat}"},
    )

    assert scrape.status_code == 429
    assert int(scrape.headers["retry-after"]) >= 1
    assert _remaining(scrape)[0] == 0
