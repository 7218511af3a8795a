"""A subscribed client sees new check results within a second of their publication."""

from __future__ import annotations

import time

import pytest

from api.core.ids import encode
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import LEGACY_WS, TRANSPORT_WS, publish_result, subscribed, wait_subscribers

BY_WORKSPACE = """
subscription($w: ID) {
  checkResults(workspaceId: $w) {
    id region status responseTimeMs httpStatus error checkedAt
    timings { dnsMs connectMs tlsMs firstByteMs transferMs totalMs }
    target { id name }
  }
}"""
BY_TARGET = "subscription($t: ID) { checkResults(targetId: $t) { id target { id } } }"


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_workspace_subscriber_sees_a_new_result_within_a_second(
    live, resources, settings, subprotocol
) -> None:
    # Given an owner subscribed to their workspace's results
    account = await create_account(settings)
    target = await create_target(account.workspace, name="shop")
    variables = {"w": account.workspace_gid}
    async with subscribed(
        live.url, account.token, BY_WORKSPACE, variables, subprotocol=subprotocol
    ) as sub:
        await wait_subscribers(live.relay, account.workspace.id)

        # When the ingest publishes a result
        published = time.monotonic()
        row = await publish_result(resources, target, status="DOWN", error="timeout")

        # Then the client has it within a second, with every field
        (result,) = await sub.wait_results(1, timeout=1.0)
        assert time.monotonic() - published < 1.0
    data = result["checkResults"]
    assert data["id"] == encode("CheckResult", row["id"])
    assert data["status"] == "DOWN"
    assert data["error"] == "timeout"
    assert data["region"] == "eu-west"
    assert data["httpStatus"] == 200
    assert data["responseTimeMs"] == 123.5
    assert data["timings"]["firstByteMs"] == 100.0
    assert data["checkedAt"].startswith(row["checked_at"][:19])
    assert data["target"] == {"id": encode("Target", target.id), "name": "shop"}


async def test_target_subscriber_gets_only_that_targets_results(live, resources, settings):
    account = await create_account(settings)
    watched = await create_target(account.workspace, name="watched")
    other = await create_target(account.workspace, name="other")
    variables = {"t": encode("Target", watched.id)}
    async with subscribed(live.url, account.token, BY_TARGET, variables) as sub:
        await wait_subscribers(live.relay, account.workspace.id)
        await publish_result(resources, other)
        row = await publish_result(resources, watched)
        results = await sub.wait_results(1)
        await publish_result(resources, other)
        await publish_result(resources, watched)
        results = await sub.wait_results(2)
    assert [r["checkResults"]["target"]["id"] for r in results] == [
        encode("Target", watched.id)
    ] * 2
    assert results[0]["checkResults"]["id"] == encode("CheckResult", row["id"])


async def test_results_of_another_workspace_never_reach_a_subscriber(
    live, resources, settings
) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    foreign = await create_target(stranger.workspace)
    mine = await create_target(owner.workspace)
    async with subscribed(live.url, owner.token, BY_WORKSPACE, {"w": owner.workspace_gid}) as sub:
        await wait_subscribers(live.relay, owner.workspace.id)
        await publish_result(resources, foreign)
        await publish_result(resources, mine)
        await sub.wait_results(1)
        await publish_result(resources, foreign)
        await publish_result(resources, mine)
        results = await sub.wait_results(2)
    assert {r["checkResults"]["target"]["id"] for r in results} == {encode("Target", mine.id)}
