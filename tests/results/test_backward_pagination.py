"""Backward pages (last/before) on results and incidents: the same items, the same order,
walked from the end; mixing directions or asking past the largest page is an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.targets.models import CheckResult
from tests.factories.accounts import create_account
from tests.factories.incidents import create_incident
from tests.factories.targets import create_target
from tests.targets.helpers import gid

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RESULTS = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  target(id: $id) { results(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { checkedAt } } } } }"""
INCIDENTS = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  target(id: $id) { incidents(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } } } } }"""


async def _walk_back(gql, query: str, field: str, target, token: str) -> list[str]:
    seen: list[str] = []
    before = None
    while True:
        result = await gql(query, {"id": gid(target), "last": 4, "before": before}, token=token)
        conn = result["data"]["target"][field]
        seen[:0] = [e["cursor"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasPreviousPage"]:
            return seen
        before = conn["pageInfo"]["startCursor"]


async def test_results_walked_backward_match_the_forward_order(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace)
    await CheckResult.bulk_create(
        [
            CheckResult(
                check_id=f"b{i}",
                target_id=target.id,
                region="eu-west",
                checked_at=T0 + timedelta(minutes=i // 2),  # pairs share a time: id breaks ties
                status="UP",
            )
            for i in range(10)
        ]
    )
    forward = await gql(RESULTS, {"id": gid(target), "first": 100}, token=owner.token)
    expected = [e["cursor"] for e in forward["data"]["target"]["results"]["edges"]]
    assert len(expected) == 10
    assert await _walk_back(gql, RESULTS, "results", target, owner.token) == expected


async def test_incidents_walked_backward_match_the_forward_order(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace)
    for i in range(7):
        await create_incident(target, started_at=T0 + timedelta(hours=i))
    forward = await gql(INCIDENTS, {"id": gid(target), "first": 100}, token=owner.token)
    expected = [e["cursor"] for e in forward["data"]["target"]["incidents"]["edges"]]
    assert len(expected) == 7
    assert await _walk_back(gql, INCIDENTS, "incidents", target, owner.token) == expected


async def test_mixed_directions_and_oversized_pages_are_errors(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace)
    mixed = await gql(RESULTS, {"id": gid(target), "first": 2, "last": 2}, token=owner.token)
    assert mixed["errors"][0]["extensions"]["code"] == "INVALID"
    over = await gql(INCIDENTS, {"id": gid(target), "last": 101}, token=owner.token)
    assert "at most 100" in over["errors"][0]["message"]
