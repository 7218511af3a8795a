"""A page of 100 targets with their last results costs a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections

from api.targets.models import CheckResult
from tests.factories.accounts import create_account
from tests.factories.targets import create_target

PAGE = """{ viewer { workspaces { targets(first: 100) { totalCount edges { node {
  name status regions { code name } lastResult { region status checkedAt timings { totalMs } }
} } } } } }"""


@pytest.fixture
def count_queries(monkeypatch):
    counter = {"n": 0}
    cls = type(connections.get("default"))
    for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
        original = getattr(cls, name)

        def wrapper(self, *args, __original=original, **kwargs):
            counter["n"] += 1
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)
    return counter


async def _seed(workspace_id: int, n: int) -> None:
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        target = await create_target(workspace_id, name=f"t{i:03}")
        for k, region in enumerate(("eu-west", "us-east")):
            rows.append(
                CheckResult(
                    check_id=f"{target.id}-{k}",
                    target_id=target.id,
                    region=region,
                    checked_at=now - timedelta(seconds=k),
                    status="UP",
                    response_time_ms=10.0 + i,
                )
            )
    await CheckResult.bulk_create(rows)


async def _queries_for_page(gql, token, count_queries) -> tuple[int, dict]:
    count_queries["n"] = 0
    result = await gql(PAGE, token=token)
    return count_queries["n"], result


async def test_page_of_100_targets_costs_constant_queries(gql, settings, count_queries) -> None:
    owner = await create_account(settings)
    await _seed(owner.workspace.id, 10)
    small, _ = await _queries_for_page(gql, owner.token, count_queries)
    await _seed(owner.workspace.id, 90)
    large, result = await _queries_for_page(gql, owner.token, count_queries)
    assert "errors" not in result, result
    connection = result["data"]["viewer"]["workspaces"][0]["targets"]
    assert connection["totalCount"] == 100
    nodes = [e["node"] for e in connection["edges"]]
    assert len(nodes) == 100
    # Each target's newest result is the eu-west one (checked last).
    assert all(n["lastResult"]["region"] == "eu-west" for n in nodes)
    assert nodes[0]["regions"][0] == {"code": "eu-west", "name": "Paris"}
    assert large == small
    # Auth (token -> principal) + workspaces + count + page + last results: 7 measured.
    assert large <= 8, large
