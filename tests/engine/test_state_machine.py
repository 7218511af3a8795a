"""Per-region state, multi-region confirmation, transitions and idempotent ingest."""

from __future__ import annotations

import asyncio
import json

from api.events import events_channel
from api.targets.models import CheckResult, StateTransition, Target, TargetRegionState
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target

REGIONS = ["eu-west", "us-east", "ap-south"]  # the test settings' regions


async def _status(target) -> str:
    return (await Target.get(id=target.id)).status.value


async def test_target_is_down_only_when_a_majority_of_regions_agree(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    await ingest_results(resources, [probe_result(target, r, due_ms=1) for r in REGIONS])
    assert await _status(target) == "UP"

    await ingest_results(resources, [probe_result(target, "eu-west", "DOWN", due_ms=2)])
    assert await _status(target) == "UP"  # one region of three is not enough

    await ingest_results(
        resources,
        [probe_result(target, "us-east", "DOWN", due_ms=2, error="CONNECT_ERROR: refused")],
    )
    fresh = await Target.get(id=target.id)
    assert fresh.status.value == "DOWN"
    assert fresh.status_changed_at is not None
    rows = await StateTransition.filter(target_id=target.id).order_by("id")
    assert [(r.from_status.value, r.to_status.value) for r in rows] == [
        ("PENDING", "UP"),
        ("UP", "DOWN"),
    ]
    assert rows[1].regions == ["eu-west", "us-east"]
    assert rows[1].cause == "DOWN: test"  # first failing region's error (sorted by region)
    assert rows[1].claimed_at is None

    await ingest_results(resources, [probe_result(target, r, due_ms=3) for r in REGIONS])
    assert await _status(target) == "UP"
    assert await StateTransition.filter(target_id=target.id).count() == 3


async def test_a_target_never_seen_up_is_not_reported_up(settings, resources):
    # Given a new target whose regions report failures one batch at a time
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    await ingest_results(resources, [probe_result(target, "eu-west", "DOWN", due_ms=1)])
    # Then one failing region (of three) leaves it PENDING, never a made-up UP
    assert await _status(target) == "PENDING"
    await ingest_results(resources, [probe_result(target, "us-east", "DOWN", due_ms=1)])
    rows = await StateTransition.filter(target_id=target.id).order_by("id")
    assert [(r.from_status.value, r.to_status.value) for r in rows] == [("PENDING", "DOWN")]


async def test_retries_require_consecutive_failures(settings, resources):
    account = await create_account(settings)
    target = await create_target(
        account.workspace, alert_policy={"retries": 2, "downConfirmRegions": 1}, regions=[]
    )
    await ingest_results(resources, [probe_result(target, "eu-west", due_ms=1)])
    await ingest_results(resources, [probe_result(target, "eu-west", "DOWN", due_ms=2)])
    assert await _status(target) == "UP"
    state = await TargetRegionState.get(target_id=target.id, region="eu-west")
    assert state.consecutive_failures == 1 and state.status.value == "UP"
    await ingest_results(resources, [probe_result(target, "eu-west", "DOWN", due_ms=3)])
    assert await _status(target) == "DOWN"
    await ingest_results(resources, [probe_result(target, "eu-west", due_ms=4)])
    state = await TargetRegionState.get(target_id=target.id, region="eu-west")
    assert state.consecutive_failures == 0 and await _status(target) == "UP"


async def test_degraded_region_makes_the_target_degraded(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    await ingest_results(
        resources,
        [probe_result(target, "eu-west", "DEGRADED", due_ms=1, error="SLOW: 900 ms > 500 ms")]
        + [probe_result(target, r, due_ms=1) for r in ("us-east", "ap-south")],
    )
    assert await _status(target) == "DEGRADED"
    row = await StateTransition.get(target_id=target.id)
    assert row.cause == "SLOW: 900 ms > 500 ms" and row.regions == ["eu-west"]


async def test_redelivered_results_are_stored_and_counted_once(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, alert_policy={"retries": 2}, regions=[])
    batch = [probe_result(target, "eu-west", "DOWN", due_ms=10)]
    first = await ingest_results(resources, batch)
    again = await ingest_results(resources, batch + batch)
    assert first.stored == 1 and again.stored == 0 and again.duplicates == 2
    assert await CheckResult.filter(target_id=target.id).count() == 1
    state = await TargetRegionState.get(target_id=target.id, region="eu-west")
    assert state.consecutive_failures == 1  # the duplicate did not count as a 2nd failure


async def test_late_results_of_paused_or_deleted_targets_are_ignored(settings, resources):
    account = await create_account(settings)
    paused = await create_target(account.workspace, paused=True, status="PAUSED", regions=[])
    gone = await create_target(account.workspace, regions=[])
    gone_id = gone.id
    await gone.delete()
    report = await ingest_results(
        resources,
        [
            probe_result(paused, "eu-west", "DOWN", due_ms=1),
            probe_result(gone, "eu-west", due_ms=1),
        ],
    )
    assert report.stored == 0 and report.ignored == 2
    assert await CheckResult.filter(target_id__in=[paused.id, gone_id]).count() == 0
    assert (await Target.get(id=paused.id)).status.value == "PAUSED"


async def test_events_are_published_for_results_and_transitions(settings, resources):
    account = await create_account(settings)
    target = await create_target(
        account.workspace, alert_policy={"downConfirmRegions": 1}, regions=[]
    )
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(events_channel(resources.redis))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    await ingest_results(resources, [probe_result(target, "eu-west", "DOWN", due_ms=5)])
    events = []
    for _ in range(20):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message:
            events.append(json.loads(message["data"]))
        if len(events) == 2:
            break
        await asyncio.sleep(0)
    await pubsub.aclose()
    by_type = {e["type"]: e for e in events}
    check = by_type["check_result"]
    assert check["workspaceId"] == account.workspace.id and check["targetId"] == target.id
    assert check["result"]["check_id"] == f"{target.id}:eu-west:5"
    assert check["result"]["id"] == (await CheckResult.get(target_id=target.id)).id
    assert check["result"]["status"] == "DOWN" and "connect_ms" in check["result"]
    status = by_type["target_status"]
    assert status["status"] == "DOWN" and status["statusChangedAt"]
