"""Results are stored with one multi-row INSERT per chunk, idempotent on check id, and
batches larger than PostgreSQL's 32,767 bind parameters are split."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from tortoise import connections

from api.core import clock
from api.events import events_channel
from api.targets.models import CheckResult, StateTransition, Target, TargetRegionState
from api.targets.state import ingest_results, insert_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target


async def test_duplicate_deliveries_store_each_result_once(settings, resources) -> None:
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=["eu-west"])
    base = clock.now() - timedelta(minutes=5)
    results = [
        probe_result(target, "eu-west", "DOWN", due_ms=n, at=base + timedelta(seconds=n), error="E")
        for n in range(5)
    ]
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(events_channel(resources.redis))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    # The batch holds a copy of its own first result (an entry XADDed twice).
    report = await ingest_results(resources, [*results[:3], results[0]])
    assert (report.stored, report.duplicates) == (3, 1)
    # A re-delivery of the whole batch plus the rest: only the rest is new.
    report = await ingest_results(resources, results)
    assert (report.stored, report.duplicates) == (2, 3)
    assert await CheckResult.filter(target_id=target.id).count() == 5
    # Each failure counted once (5, not 6 or 8), one transition.
    state = await TargetRegionState.get(target_id=target.id, region="eu-west")
    assert state.consecutive_failures == 5
    assert await StateTransition.filter(target_id=target.id).count() == 1
    # The stored rows are what the probe sent.
    row = await CheckResult.get(check_id=results[4]["check_id"])
    assert row.checked_at == base + timedelta(seconds=4)
    assert (row.status.value, row.http_status, row.error) == ("DOWN", 500, "E")
    assert (row.response_time_ms, row.dns_ms, row.tls_ms, row.in_maintenance) == (
        12.5,
        0.1,
        None,
        False,
    )
    # Live events carry the stored rows' ids, each result published once.
    ids = dict(await CheckResult.all().values_list("check_id", "id"))
    published: dict[str, int] = {}
    for _ in range(30):
        if len(published) == 5:
            break
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is None:
            continue
        event = json.loads(message["data"])
        if event["type"] == "check_result":
            check_id = event["result"]["check_id"]
            assert check_id not in published
            published[check_id] = event["result"]["id"]
    await pubsub.aclose()
    assert published == ids


async def test_a_result_stored_meanwhile_is_skipped_by_the_insert(settings, resources) -> None:
    """Another writer stored one of the check ids between the duplicate check and the
    insert: the insert skips it (no error, no second row) and reports only its own."""
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=["eu-west"])
    results = [probe_result(target, "eu-west", due_ms=n) for n in range(3)]
    postgres = connections.get("default").capabilities.dialect == "postgres"
    first = await insert_results(results[1:2], postgres=postgres)
    again = await insert_results(results, postgres=postgres)
    assert set(first) == {results[1]["check_id"]}
    assert set(again) == {results[0]["check_id"], results[2]["check_id"]}
    assert await CheckResult.filter(target_id=target.id).count() == 3


async def test_a_batch_past_the_bind_parameter_limit_is_ingested(settings, resources) -> None:
    """34,100 results of 1,100 targets in one batch: more check ids than PostgreSQL takes
    parameters in one statement (32,767), more targets than one read chunk."""
    account = await create_account(settings)
    targets = [
        await create_target(account.workspace, name=f"t{i}", regions=["eu-west"])
        for i in range(1100)
    ]
    base = clock.now() - timedelta(hours=1)
    results = [
        probe_result(t, "eu-west", due_ms=n, at=base + timedelta(seconds=n))
        for t in targets
        for n in range(31)
    ]
    assert len(results) > 33_000
    report = await ingest_results(resources, results, publish=False)
    assert report.stored == len(results)
    assert await CheckResult.all().count() == len(results)
    assert await Target.filter(status="UP").count() == 1100
    assert await StateTransition.all().count() == 1100
    # Delivered again: nothing new, nothing moved.
    report = await asyncio.wait_for(ingest_results(resources, results, publish=False), 300)
    assert (report.stored, report.duplicates) == (0, len(results))
    assert await StateTransition.all().count() == 1100
