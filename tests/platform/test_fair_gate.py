"""The fair gate (api/graphql/fairgate.py): turns between callers and their cost budget
(issue 11, point 5). The flood itself is tests/platform/test_flood_isolation.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from api.graphql.fairgate import FairGate, GateBusy, OverBudget
from tests.factories.accounts import create_account
from tests.factories.targets import create_target

TRIVIAL = "{ viewer { user { email } } }"
TARGETS = """query($ws: ID!, $n: Int) { node(id: $ws) { ... on Workspace {
  targets(first: $n) { totalCount edges { node { id name status } } } } } }"""


async def test_a_newcomer_overtakes_a_flooding_callers_queue() -> None:
    gate = FairGate(slots=1, wait_seconds=5)
    order: list[str] = []
    release = asyncio.Event()

    async def operation(key: str, label: str) -> None:
        async with gate.turn(key):
            order.append(label)
            await release.wait()

    first = asyncio.create_task(operation("flooder", "flood-0"))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(operation("flooder", f"flood-{n}")) for n in range(1, 6)]
    await asyncio.sleep(0)
    bystander = asyncio.create_task(operation("bystander", "bystander"))
    await asyncio.sleep(0)
    assert gate.stats() == {"admitted": 1, "waiting": 6, "callers": 1}
    release.set()
    await asyncio.gather(first, *queued, bystander)
    # The bystander came last but went second: the flooder already had a turn.
    assert order[:2] == ["flood-0", "bystander"]
    assert order[2:] == [f"flood-{n}" for n in range(1, 6)]  # first come, first served
    assert gate.stats() == {"admitted": 0, "waiting": 0, "callers": 0}


async def test_no_turn_within_the_wait_is_refused_and_leaves_no_trace() -> None:
    gate = FairGate(slots=1, wait_seconds=0.05)
    async with gate.turn("a"):
        with pytest.raises(GateBusy) as refused:
            async with gate.turn("b"):
                pass  # pragma: no cover
        waiter = asyncio.create_task(gate._enter("c"))
        await asyncio.sleep(0)
        waiter.cancel()  # a client gone while waiting
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert refused.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 1}
    assert "HITFLOW_GRAPHQL_GATE_WAIT_SECONDS" in refused.value.message
    assert gate.stats() == {"admitted": 0, "waiting": 0, "callers": 0}
    async with gate.turn("d"):  # the slot is free again
        assert gate.stats()["admitted"] == 1


async def test_a_caller_over_its_budget_waits_or_is_refused() -> None:
    from api.graphql.fairgate import charge

    gate = FairGate(slots=4, wait_seconds=0, budget_per_minute=6000)  # burst 1000, 100/s
    async with gate.turn("a"):
        charge(2000)  # what QueryCost charges for an operation's static cost
    assert gate.level("a") < 0
    with pytest.raises(OverBudget) as refused:
        async with gate.turn("a"):
            pass  # pragma: no cover
    # (2000 + 50 - 1000 + 1) / 100 per second: ~10.5 s to refill.
    assert 10 <= refused.value.retry_after <= 11
    async with gate.turn("b"):  # another caller's bucket is full
        pass


class TestHTTP:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "graphql_max_concurrent_operations": 1,
            "graphql_gate_wait_seconds": 0,
            "graphql_cost_budget_per_minute": 0,
        }

    async def test_operations_without_a_turn_are_answered_429(self, client, settings) -> None:
        account = await create_account(settings)
        for n in range(50):
            await create_target(account.workspace, name=f"t{n}", url=f"https://t{n}.test/")
        headers = {"Authorization": f"Bearer {account.token}"}
        variables = {"ws": account.workspace_gid, "n": 50}

        responses = await asyncio.gather(
            *[
                client.post(
                    "/graphql", json={"query": TARGETS, "variables": variables}, headers=headers
                )
                for _ in range(6)
            ]
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == 200 and statuses[-1] == 429, statuses
        busy = next(r for r in responses if r.status_code == 429)
        assert busy.headers["retry-after"] == "1"
        error = busy.json()["errors"][0]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
        assert "HITFLOW_GRAPHQL_GATE_WAIT_SECONDS" in error["message"]


class TestBudgetHTTP:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_cost_budget_per_minute": 600, "graphql_gate_wait_seconds": 0}

    async def test_a_caller_over_its_cost_budget_is_answered_429(self, client, settings) -> None:
        account = await create_account(settings)
        other = await create_account(settings)

        async def post(token: str) -> httpx.Response:
            return await client.post(
                "/graphql", json={"query": TRIVIAL}, headers={"Authorization": f"Bearer {token}"}
            )

        # A burst of 100 (10 s' worth of 600 a minute); each trivial query spends 52.
        assert [(await post(account.token)).status_code for _ in range(3)] == [200, 200, 429]
        refused = await post(account.token)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert "HITFLOW_GRAPHQL_COST_BUDGET_PER_MINUTE" in error["message"]
        assert (await post(other.token)).status_code == 200  # a budget per caller


class TestInventedTokens:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # A burst of 10 s' worth: 3,000; a bad credential spends 1,050 of its address's.
        return {"graphql_cost_budget_per_minute": 18_000, "graphql_gate_wait_seconds": 0}

    async def test_a_new_invented_token_per_request_does_not_buy_a_new_budget(
        self, app, client, settings
    ) -> None:
        account = await create_account(settings)

        async def post(token: str, host: str = "203.0.113.7") -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=(host, 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return await c.post(
                    "/graphql",
                    json={"query": TRIVIAL},
                    headers={"Authorization": f"Bearer {token}"},
                )

        statuses = [(await post(f"hf_pat_invented{n}")).status_code for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        refused = await post(account.token)  # the same address: its budget is spent
        assert refused.status_code == 429
        assert "HITFLOW_GRAPHQL_COST_BUDGET_PER_MINUTE" in refused.json()["errors"][0]["message"]
        # From another address, the same account is served.
        assert (await post(account.token, host="198.51.100.9")).status_code == 200


class TestSlowBody:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_concurrent_operations": 1, "graphql_gate_wait_seconds": 0}

    async def test_a_body_sent_slowly_does_not_hold_a_turn(self, client, settings) -> None:
        slow = await create_account(settings)
        other = await create_account(settings)
        release = asyncio.Event()
        body = json.dumps({"query": TRIVIAL}).encode()

        async def trickle() -> Any:
            yield body[:5]
            await release.wait()  # the rest comes much later
            yield body[5:]

        slow_request = asyncio.create_task(
            client.post(
                "/graphql",
                content=trickle(),
                headers={
                    "Authorization": f"Bearer {slow.token}",
                    "Content-Type": "application/json",
                },
            )
        )
        await asyncio.sleep(0.2)
        assert not slow_request.done()
        # The only slot is free for others while the slow body trickles in.
        response = await client.post(
            "/graphql", json={"query": TRIVIAL}, headers={"Authorization": f"Bearer {other.token}"}
        )
        assert response.status_code == 200, response.text
        release.set()
        assert (await slow_request).status_code == 200
