"""Queries and mutations over a websocket take the same turns as over HTTP (issue 11,
points 4-5): per-principal slots, the query timeout, the fair gate's cost budget; and
live subscriptions are bounded per principal across its sockets."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import open_socket, subscribed
from tests.live.wsops import codes, ws_op

TRIVIAL = "{ viewer { user { email } } }"
TARGETS = """query($ws: ID!, $n: Int) { node(id: $ws) { ... on Workspace {
  targets(first: $n) { totalCount edges { node { id name status } } } } } }"""
STATUS = "subscription($ws: ID!) { targetStatusChanged(workspaceId: $ws) { id } }"


async def _targets(account: Any, count: int) -> None:
    for n in range(count):
        await create_target(account.workspace, name=f"t{n}", url=f"https://t{n}.example.test/")


class TestSlots:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_concurrent_per_principal": 1, "graphql_concurrency_wait_seconds": 0}

    async def test_operations_over_the_per_principal_limit_are_refused_on_a_socket(
        self, live, settings
    ) -> None:
        account = await create_account(settings)
        other = await create_account(settings)
        ws = await open_socket(live.url, account.token)
        slots = live.app.state.graphql.schema.guard.slots
        key = f"user:{account.user.id}"
        try:
            # The user's one slot is taken, as by an operation of theirs in flight over
            # HTTP or another socket (their slots are shared by all their credentials).
            assert await slots.acquire(key)
            try:
                refused = await ws_op(ws, TRIVIAL)
                error = refused["errors"][0]
                assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
                assert "HITFLOW_GRAPHQL_MAX_CONCURRENT_PER_PRINCIPAL" in error["message"]
                # Another user's operations run meanwhile.
                other_ws = await open_socket(live.url, other.token)
                assert codes(await ws_op(other_ws, TRIVIAL)) == []
                await other_ws.close()
            finally:
                slots.release(key)
            # The slot given back, the socket's operations run again, one at a time.
            for _ in range(3):
                assert codes(await ws_op(ws, TRIVIAL)) == []
        finally:
            await ws.close()


class TestTimeout:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_timeout_seconds": 0.001, "graphql_max_concurrent_per_principal": 1}

    async def test_a_query_running_past_the_timeout_on_a_socket_is_stopped(
        self, live, settings
    ) -> None:
        account = await create_account(settings)
        await _targets(account, 100)
        ws = await open_socket(live.url, account.token)
        try:
            result = await ws_op(ws, TARGETS, {"ws": account.workspace_gid, "n": 100})
            assert result.get("data") is None
            [error] = result["errors"]
            assert error["extensions"] == {"code": "TIMEOUT", "limitSeconds": 0.001}
            assert "HITFLOW_GRAPHQL_TIMEOUT_SECONDS" in error["message"]
            # The slot was given back (limit 1), the socket still serves; mutations are
            # not interrupted.
            update = """mutation { updateProfile(displayName: "Still here") {
              user { displayName } errors { code } } }"""
            changed = await ws_op(ws, update)
            assert changed["data"]["updateProfile"]["user"] == {"displayName": "Still here"}
        finally:
            await ws.close()


class TestBudget:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # A burst of 10 s' worth: 100; a trivial query spends 50 + 2.
        return {"graphql_cost_budget_per_minute": 600, "graphql_gate_wait_seconds": 0}

    async def test_a_socket_spends_the_callers_cost_budget(self, live, gql, settings) -> None:
        account = await create_account(settings)
        other = await create_account(settings)
        ws = await open_socket(live.url, account.token)
        try:
            answers = [codes(await ws_op(ws, TRIVIAL)) for _ in range(3)]
            assert answers == [[], [], ["RATE_LIMITED"]]
            refused = await ws_op(ws, TRIVIAL)
            error = refused["errors"][0]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert error["extensions"]["retryAfter"] >= 1
            assert "HITFLOW_GRAPHQL_COST_BUDGET_PER_MINUTE" in error["message"]
            # Another tenant has its own budget.
            assert codes(await gql(TRIVIAL, token=other.token)) == []
            # The bucket refills at 10 a second: 52 spent back in ~5 s.
            started = time.monotonic()
            while codes(await ws_op(ws, TRIVIAL)) != []:
                assert time.monotonic() - started < 10
                await asyncio.sleep(0.5)
        finally:
            await ws.close()


class TestSubscriptionsPerPrincipal:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"live_max_subscriptions_per_principal": 2}

    async def test_subscriptions_are_bounded_across_a_users_sockets(self, live, settings) -> None:
        from tests.live.helpers import wait_subscribers

        account = await create_account(settings)
        other = await create_account(settings)
        variables = {"ws": account.workspace_gid}
        async with (
            subscribed(live.url, account.token, STATUS, variables),
            subscribed(live.url, account.token, STATUS, variables),
        ):
            await wait_subscribers(live.relay, account.workspace.id, 2)
            async with subscribed(live.url, account.token, STATUS, variables) as third:
                error = await third.wait_error()
            assert "LIMIT_REACHED" in str(error), repr(error)
            assert "HITFLOW_LIVE_MAX_SUBSCRIPTIONS_PER_PRINCIPAL" in str(error)
            # Another user is not counted against this one.
            async with subscribed(live.url, other.token, STATUS, {"ws": other.workspace_gid}):
                await wait_subscribers(live.relay, other.workspace.id, 1)
        # Closing the sockets gives the subscriptions back.
        async with subscribed(live.url, account.token, STATUS, variables):
            await wait_subscribers(live.relay, account.workspace.id, 1)
        assert live.relay.by_owner.get(f"user:{account.user.id}", 0) <= 1
