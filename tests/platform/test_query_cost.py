"""One tenant cannot stall the others (issue 11, point 5): a static cost limit, the cost
in `extensions.cost`, per-principal concurrency and a query timeout."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from api.accounts.models import PersonalAccessToken
from api.graphql.cost import operation_cost
from api.schema import build_schema
from tests.factories.accounts import create_account
from tests.factories.targets import create_target

TRIVIAL = "{ viewer { user { email } } }"
TARGETS = """query($ws: ID!, $n: Int) { node(id: $ws) { ... on Workspace {
  targets(first: $n) { totalCount edges { node { id name status } } } } } }"""


def attack(aliases: int = 29, first: int = 20) -> str:
    """The issue's query: 100 targets x `aliases` aliased incidents connections."""
    fields = " ".join(
        f"i{n}: incidents(first: {first}) {{ edges {{ node {{ id }} }} }}" for n in range(aliases)
    )
    return (
        "query($ws: ID!) { node(id: $ws) { ... on Workspace { targets(first: 100) "
        f"{{ edges {{ node {{ id {fields} }} }} }} }} }} }}"
    )


async def _targets(account: Any, count: int) -> None:
    for n in range(count):
        await create_target(account.workspace, name=f"t{n}", url=f"https://t{n}.example.test/")


def _code(body: dict[str, Any]) -> str | None:
    return str(body["errors"][0]["extensions"]["code"]) if body.get("errors") else None


async def test_a_trivial_query_reports_its_cost(gql, settings) -> None:
    account = await create_account(settings)

    result = await gql(TRIVIAL, token=account.token)

    assert result["data"]["viewer"]["user"]["email"] == account.user.email
    assert result["extensions"]["cost"] == {"requested": 2, "limit": settings.graphql_max_cost}


async def test_the_issues_flood_query_is_refused_before_it_runs(gql, settings) -> None:
    account = await create_account(settings)
    await _targets(account, 100)

    started = time.perf_counter()
    result = await gql(attack(), {"ws": account.workspace_gid}, token=account.token)
    elapsed = time.perf_counter() - started

    assert result["data"] is None
    [error] = result["errors"]
    limit = settings.graphql_max_cost
    # node 1 + targets 1 + 100 x (item 1 + 29 x (incidents 1 + 20 x item 1))
    requested = 1 + 1 + 100 * (1 + 29 * (1 + 20))
    assert error["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": {"requested": requested, "limit": limit},
    }
    assert "HITFLOW_GRAPHQL_MAX_COST" in error["message"]
    assert str(limit) in error["message"]
    assert result["extensions"]["cost"] == {"requested": requested, "limit": limit}
    assert elapsed < 1.0  # refused statically (the issue measured 2.4 s to run it)


async def test_page_sizes_come_from_first_literal_or_variable_and_are_capped(gql, settings) -> None:
    account = await create_account(settings)
    await _targets(account, 3)

    async def cost(n: int | None) -> int:
        result = await gql(TARGETS, {"ws": account.workspace_gid, "n": n}, token=account.token)
        assert _code(result) is None
        return int(result["extensions"]["cost"]["requested"])

    # node 1 + targets 1 + n items (scalars are free)
    assert await cost(3) == 2 + 3
    assert await cost(None) == 2 + 20  # the default page
    # Past the largest page: refused with the maximum named, costed as the largest page.
    over = await gql(TARGETS, {"ws": account.workspace_gid, "n": 5000}, token=account.token)
    assert over["extensions"]["cost"]["requested"] == 2 + 100
    assert "at most 100" in over["errors"][0]["message"]


def test_fragments_aliases_and_lists_are_counted_where_used() -> None:
    schema = build_schema()._schema
    with_fragments = """
      query { viewer { workspaces { ...W } a: workspaces { ...W } } }
      fragment W on Workspace { members { email } targets(first: 2) { edges { node { id } } } }
    """
    # viewer 1 + 2 x workspaces (1 + 20 x (1 + members (1 + 20 x 1) + targets (1 + 2 x 1)))
    per_workspace = (1 + 20 * 1) + (1 + 2 * 1)
    expected = 1 + 2 * (1 + 20 * (1 + per_workspace))
    cost = operation_cost(
        schema, _parse(with_fragments), operation_name=None, variables=None, list_size=20
    )
    assert cost == expected
    introspection = "{ __schema { types { name fields { name args { name } } } } }"
    assert (
        operation_cost(
            schema, _parse(introspection), operation_name=None, variables={}, list_size=20
        )
        == 0
    )


def _parse(text: str) -> Any:
    from graphql import parse

    return parse(text)


class TestConcurrency:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_concurrent_per_principal": 1, "graphql_concurrency_wait_seconds": 0}

    async def test_operations_over_the_per_principal_limit_are_rate_limited(
        self, client, settings
    ) -> None:
        flooder = await create_account(settings)
        await _targets(flooder, 50)
        other = await create_account(settings)

        async def post(account: Any, query: str, variables: dict[str, Any]) -> httpx.Response:
            return await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {account.token}"},
            )

        flood = [post(flooder, TARGETS, {"ws": flooder.workspace_gid, "n": 50}) for _ in range(10)]
        others = [post(other, TRIVIAL, {}) for _ in range(1)]
        responses = await asyncio.gather(*flood, *others)

        codes = Counter(_code(r.json()) for r in responses[:10])
        assert codes[None] >= 1
        assert codes["RATE_LIMITED"] >= 1
        assert set(codes) <= {None, "RATE_LIMITED"}
        refused = next(r for r in responses[:10] if _code(r.json()) == "RATE_LIMITED")
        error = refused.json()["errors"][0]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
        assert "HITFLOW_GRAPHQL_MAX_CONCURRENT_PER_PRINCIPAL" in error["message"]
        assert refused.headers["retry-after"] == "1"
        # The other tenant has its own budget.
        assert _code(responses[10].json()) is None
        # Slots are given back: one at a time, everything passes.
        for _ in range(3):
            assert _code((await post(flooder, TRIVIAL, {})).json()) is None

    async def test_a_users_tokens_share_the_users_budget(self, client, settings) -> None:
        # A PAT and a session of one user are one principal: a second credential does
        # not double the budget.
        from tests.factories.accounts import create_pat

        account = await create_account(settings)
        await _targets(account, 50)
        pat = await create_pat(account.user, ["targets:read", "account:read"])
        assert await PersonalAccessToken.filter(user=account.user).exists()
        variables = {"ws": account.workspace_gid, "n": 50}

        responses = await asyncio.gather(
            *[
                client.post(
                    "/graphql",
                    json={"query": TARGETS, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
                for token in [account.token, pat] * 5
            ]
        )

        assert "RATE_LIMITED" in {_code(r.json()) for r in responses}


class TestTimeout:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_timeout_seconds": 0.001, "graphql_max_concurrent_per_principal": 1}

    async def test_a_query_running_past_the_timeout_is_stopped_with_timeout(
        self, gql, settings
    ) -> None:
        account = await create_account(settings)
        await _targets(account, 100)

        result = await gql(TARGETS, {"ws": account.workspace_gid, "n": 100}, token=account.token)

        assert result["data"] is None
        [error] = result["errors"]
        assert error["extensions"] == {"code": "TIMEOUT", "limitSeconds": 0.001}
        assert "HITFLOW_GRAPHQL_TIMEOUT_SECONDS" in error["message"]
        # The stopped query gave its slot back (limit 1): the next operations run.
        update = """mutation { updateProfile(displayName: "Still here") {
          user { displayName } errors { code } } }"""
        changed = await gql(update, token=account.token)
        # Mutations are not interrupted by the query timeout.
        assert changed["data"]["updateProfile"]["user"] == {"displayName": "Still here"}


# The flood by one tenant and another's p99: tests/platform/test_flood_isolation.py.
