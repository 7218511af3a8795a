"""Queries and mutations over a websocket take the same turns as over HTTP (issue 11,
points 4-5): per-principal slots, the query timeout, the fair gate's cost budget; and
live subscriptions are bounded per principal across its sockets."""

from __future__ import annotations

import asyncio
import json
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


async def many(ws: Any, query: str, variables: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Send `count` operations at once on one socket; their results, in order."""
    ids = [f"m{n}" for n in range(count)]
    for op_id in ids:
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
    results: dict[str, dict[str, Any]] = {}
    done: set[str] = set()
    async with asyncio.timeout(15):
        while len(done) < count:
            message = json.loads(await ws.recv())
            op_id = message.get("id")
            if message.get("type") == "next":
                results[op_id] = message["payload"]
            elif message.get("type") == "error":
                results[op_id] = {"errors": message["payload"]}
                done.add(op_id)
            elif message.get("type") == "complete":
                done.add(op_id)
    return [results.get(op_id, {}) for op_id in ids]


class TestSlots:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_concurrent_per_principal": 1, "graphql_concurrency_wait_seconds": 0}

    async def test_operations_over_the_per_principal_limit_are_refused_on_a_socket(
        self, live, settings
    ) -> None:
        flooder = await create_account(settings)
        await _targets(flooder, 50)
        ws = await open_socket(live.url, flooder.token)
        try:
            results = await many(ws, TARGETS, {"ws": flooder.workspace_gid, "n": 50}, 10)
            answers = [codes(r) for r in results]
            assert [] in answers
            refused = [r for r in results if codes(r) == ["RATE_LIMITED"]]
            assert refused, answers
            assert all(a in ([], ["RATE_LIMITED"]) for a in answers), answers
            error = refused[0]["errors"][0]
            assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
            assert "HITFLOW_GRAPHQL_MAX_CONCURRENT_PER_PRINCIPAL" in error["message"]
            # Slots are given back: one at a time, everything passes, and the socket
            # and HTTP share the user's slots but not another user's.
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
