"""A region whose probe is overloaded (INCONCLUSIVE results) neither hides an outage the
other regions see nor ends one (api/targets/state.py, overall())."""

from __future__ import annotations

from datetime import timedelta

from api.core import clock
from api.targets.models import StateTransition, Target, TargetRegionState, TargetStatus
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target

TWO = ["eu-west", "us-east"]
THREE = ["eu-west", "us-east", "ap-south"]


async def _target(settings, regions):
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=regions)
    base = clock.now().replace(microsecond=0) - timedelta(minutes=10)

    def result(region: str, status: str, second: int) -> dict:
        at = base + timedelta(seconds=second)
        return probe_result(target, region, status, due_ms=second * 1000, at=at)

    return target, result


async def _status(target) -> TargetStatus:
    return (await Target.get(id=target.id)).status


async def test_an_outage_seen_by_the_only_region_still_judging_is_confirmed(resources, settings):
    target, result = await _target(settings, TWO)
    await ingest_results(resources, [result("eu-west", "UP", 0), result("us-east", "UP", 0)])
    assert await _status(target) == TargetStatus.UP
    # eu-west's probe is overloaded from now on; us-east sees the site fail
    await ingest_results(resources, [result("eu-west", "INCONCLUSIVE", 30)])
    assert await _status(target) == TargetStatus.UP  # overload alone changes nothing
    await ingest_results(resources, [result("us-east", "DOWN", 31)])
    assert await _status(target) == TargetStatus.DOWN
    (down,) = await StateTransition.filter(target_id=target.id, to_status=TargetStatus.DOWN)
    assert down.regions == ["us-east"]


async def test_the_same_when_the_overloaded_region_reports_last(resources, settings):
    target, result = await _target(settings, TWO)
    await ingest_results(resources, [result("eu-west", "UP", 0), result("us-east", "UP", 0)])
    await ingest_results(resources, [result("us-east", "DOWN", 30)])
    assert await _status(target) == TargetStatus.UP  # 1 of 2: not confirmed yet
    await ingest_results(resources, [result("eu-west", "INCONCLUSIVE", 31)])
    assert await _status(target) == TargetStatus.DOWN


async def test_overload_never_ends_an_outage(resources, settings):
    target, result = await _target(settings, THREE)
    batch = [result("eu-west", "DOWN", 0), result("us-east", "DOWN", 0)]
    await ingest_results(resources, [*batch, result("ap-south", "UP", 0)])
    assert await _status(target) == TargetStatus.DOWN
    await ingest_results(resources, [result("eu-west", "INCONCLUSIVE", 30)])
    await ingest_results(resources, [result("us-east", "INCONCLUSIVE", 31)])
    assert await _status(target) == TargetStatus.DOWN  # their DOWN votes stand
    assert await StateTransition.filter(target_id=target.id).count() == 1  # the DOWN only


async def test_a_region_judging_again_counts_again(resources, settings):
    target, result = await _target(settings, TWO)
    await ingest_results(resources, [result("eu-west", "UP", 0), result("us-east", "UP", 0)])
    await ingest_results(resources, [result("eu-west", "INCONCLUSIVE", 30)])
    await ingest_results(resources, [result("eu-west", "UP", 60)])  # its probe caught up
    state = await TargetRegionState.get(target_id=target.id, region="eu-west")
    assert state.inconclusive is False
    await ingest_results(resources, [result("us-east", "DOWN", 61)])
    assert await _status(target) == TargetStatus.UP  # 1 of 2 again: not confirmed


async def test_every_region_overloaded_keeps_the_status(resources, settings):
    target, result = await _target(settings, TWO)
    await ingest_results(resources, [result("eu-west", "UP", 0), result("us-east", "UP", 0)])
    await ingest_results(
        resources, [result("eu-west", "INCONCLUSIVE", 30), result("us-east", "INCONCLUSIVE", 30)]
    )
    assert await _status(target) == TargetStatus.UP
    assert await StateTransition.filter(target_id=target.id).count() == 1


async def test_a_region_overloaded_before_it_ever_judged_does_not_block_an_outage(
    resources, settings
):
    target, result = await _target(settings, TWO)
    await ingest_results(
        resources, [result("eu-west", "INCONCLUSIVE", 0), result("us-east", "UP", 0)]
    )
    assert await _status(target) == TargetStatus.UP  # us-east alone has seen it up
    await ingest_results(resources, [result("eu-west", "INCONCLUSIVE", 30)])
    await ingest_results(resources, [result("us-east", "DOWN", 31)])
    assert await _status(target) == TargetStatus.DOWN
    await ingest_results(resources, [result("us-east", "UP", 61)])
    assert await _status(target) == TargetStatus.UP
