"""Target.results: newest first, cursor pages, time range and region filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.targets.models import CheckResult
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.targets.helpers import gid

RESULTS = """query($id: ID!, $first: Int, $after: String, $since: DateTime, $until: DateTime,
  $region: String) { target(id: $id) { results(first: $first, after: $after, since: $since,
  until: $until, region: $region) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
  edges { cursor node { region checkedAt status responseTimeMs httpStatus error
  timings { dnsMs connectMs tlsMs firstByteMs transferMs totalMs } } } } } }"""

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _seed(target_id: int) -> None:
    rows = []
    for i in range(30):
        rows.append(
            CheckResult(
                check_id=f"c{i}",
                target_id=target_id,
                region="eu-west" if i % 2 == 0 else "us-east",
                checked_at=T0 + timedelta(minutes=i),
                status="UP" if i % 5 else "DOWN",
                response_time_ms=100.0 + i,
                dns_ms=1.0,
                connect_ms=2.0,
                tls_ms=3.0,
                first_byte_ms=4.0,
                transfer_ms=5.0,
                http_status=200 if i % 5 else 503,
                error=None if i % 5 else "HTTP 503",
            )
        )
    await CheckResult.bulk_create(rows)


async def test_pages_newest_first_with_cursors(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace.id)
    await _seed(target.id)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        result = await gql(
            RESULTS, {"id": gid(target), "first": 7, "after": after}, token=owner.token
        )
        assert "errors" not in result, result
        connection = result["data"]["target"]["results"]
        assert connection["totalCount"] == 30
        seen.extend(e["node"]["checkedAt"] for e in connection["edges"])
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        after = connection["pageInfo"]["endCursor"]
    assert pages == 5
    assert len(seen) == 30 and len(set(seen)) == 30
    assert seen == sorted(seen, reverse=True)


async def test_node_fields(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace.id)
    await _seed(target.id)
    result = await gql(RESULTS, {"id": gid(target), "first": 1}, token=owner.token)
    node = result["data"]["target"]["results"]["edges"][0]["node"]
    assert node == {
        "region": "us-east",
        "checkedAt": (T0 + timedelta(minutes=29)).isoformat(),
        "status": "UP",
        "responseTimeMs": 129.0,
        "httpStatus": 200,
        "error": None,
        "timings": {
            "dnsMs": 1.0,
            "connectMs": 2.0,
            "tlsMs": 3.0,
            "firstByteMs": 4.0,
            "transferMs": 5.0,
            "totalMs": 129.0,
        },
    }


async def test_since_until_and_region_filters(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace.id)
    await _seed(target.id)
    variables = {
        "id": gid(target),
        "since": (T0 + timedelta(minutes=10)).isoformat(),
        "until": (T0 + timedelta(minutes=20)).isoformat(),
        "first": 100,
    }
    result = await gql(RESULTS, variables, token=owner.token)
    connection = result["data"]["target"]["results"]
    assert connection["totalCount"] == 10  # [10, 20)
    times = [e["node"]["checkedAt"] for e in connection["edges"]]
    assert times[0] == (T0 + timedelta(minutes=19)).isoformat()
    assert times[-1] == (T0 + timedelta(minutes=10)).isoformat()
    result = await gql(RESULTS, {**variables, "region": "eu-west"}, token=owner.token)
    connection = result["data"]["target"]["results"]
    assert connection["totalCount"] == 5
    assert {e["node"]["region"] for e in connection["edges"]} == {"eu-west"}


async def test_first_is_capped_and_bad_cursor_is_invalid(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace.id)
    await _seed(target.id)
    rows = [
        CheckResult(
            check_id=f"x{i}",
            target_id=target.id,
            region="eu-west",
            checked_at=T0 - timedelta(minutes=i + 1),
            status="UP",
        )
        for i in range(120)
    ]
    await CheckResult.bulk_create(rows)
    result = await gql(RESULTS, {"id": gid(target), "first": 100}, token=owner.token)
    assert len(result["data"]["target"]["results"]["edges"]) == 100
    # More than the largest page is an error that states the maximum, not a silent cut.
    over = await gql(RESULTS, {"id": gid(target), "first": 500}, token=owner.token)
    assert over["errors"][0]["extensions"]["code"] == "INVALID"
    assert "at most 100" in over["errors"][0]["message"]
    bad = await gql(RESULTS, {"id": gid(target), "after": "bm9wZQ=="}, token=owner.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"
    assert bad["errors"][0]["message"] == "Malformed cursor."
