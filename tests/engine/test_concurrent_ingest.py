"""N core workers may ingest at once: three ingesters (three consumers of one group, on
one stream, concurrently) fed every entry twice end with the same states, transitions
and incidents as one ingester fed each entry once."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.core import clock
from api.incidents.models import Incident
from api.incidents.service import process_transitions
from api.targets.models import CheckResult, StateTransition, Target, TargetRegionState
from api.targets.probe_contract import RESULTS_STREAM
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target
from workers.jobs.checks import hand_off
from workers.jobs.ingest import GROUP, Ingester

TICKS = 24
TARGETS = 8  # half on one region (retries 1), half on two regions (both must fail twice)


def _plans(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    plans = []
    for n in range(TARGETS):
        regions = ["eu-west"] if n % 2 == 0 else ["eu-west", "us-east"]
        policy = None if n % 2 == 0 else {"retries": 2, "downConfirmRegions": 2}
        # Outages of 1 to 4 ticks at random places; each region flips on its own a little.
        statuses = {r: ["UP"] * TICKS for r in regions}
        tick = 1
        while tick < TICKS:
            tick += rng.randint(1, 5)
            length = rng.randint(1, 4)
            for region in regions:
                for t in range(tick, min(TICKS, tick + length + rng.randint(0, 1))):
                    statuses[region][t] = "DOWN"
            tick += length
        plans.append({"regions": regions, "policy": policy, "statuses": statuses})
    return plans


async def _make_targets(settings: Any, plans: list[dict[str, Any]]) -> list[Target]:
    account = await create_account(settings)
    return [
        await create_target(
            account.workspace, regions=p["regions"], alert_policy=p["policy"], status="UP"
        )
        for p in plans
    ]


def _entries(
    targets: list[Target], plans: list[dict], base: datetime, *, apart_ms: int = 1
) -> list[list[dict]]:
    """One stream entry per tick and region, as the probes of each region hand them off
    (us-east's results `apart_ms` after eu-west's: 0 gives both the very same instant)."""
    entries = []
    for tick in range(TICKS):
        for region in ("eu-west", "us-east"):
            batch = [
                probe_result(
                    target,
                    region,
                    plan["statuses"][region][tick],
                    due_ms=tick,
                    at=base
                    + timedelta(seconds=tick, milliseconds=apart_ms * (region == "us-east")),
                    error="CONNECT_ERROR: refused"
                    if plan["statuses"][region][tick] == "DOWN"
                    else None,
                )
                for target, plan in zip(targets, plans, strict=True)
                if region in plan["regions"]
            ]
            if batch:
                entries.append(batch)
    return entries


async def _drain(resources: Any, ingesters: list[Ingester], deadline: float = 120.0) -> None:
    for ingester in ingesters:
        ingester.start()
    loop = asyncio.get_running_loop()
    stop = loop.time() + deadline
    try:
        while True:
            pending = int((await resources.redis.xpending(RESULTS_STREAM, GROUP))["pending"])
            length = await resources.redis.xlen(RESULTS_STREAM)
            if not pending and not length:
                break
            assert loop.time() < stop, "the ingesters did not drain the stream"
            await asyncio.sleep(0.05)
    finally:
        for ingester in ingesters:
            await ingester.stop()
    await process_transitions(resources)


async def _outcome(targets: list[Target], base: datetime) -> list[dict[str, Any]]:
    def sec(at: datetime | None) -> float | None:
        return None if at is None else (at - base).total_seconds()

    out = []
    for target in targets:
        fresh = await Target.get(id=target.id)
        rows = await StateTransition.filter(target_id=target.id).order_by("at", "id")
        incidents = await Incident.filter(target_id=target.id).order_by("started_at")
        regions = await TargetRegionState.filter(target_id=target.id).order_by("region")
        out.append(
            {
                "status": (fresh.status.value, sec(fresh.status_changed_at)),
                "regions": [(r.region, r.status, r.consecutive_failures) for r in regions],
                "transitions": [
                    (r.from_status.value, r.to_status.value, sec(r.at), r.regions) for r in rows
                ],
                "incidents": [
                    (sec(i.started_at), sec(i.resolved_at), i.notified_at is not None)
                    for i in incidents
                ],
                "results": await CheckResult.filter(target_id=target.id).count(),
            }
        )
    return out


@pytest.mark.parametrize(
    ("seed", "apart_ms"),
    [(13, 1), (7, 1), (2026, 1), (10, 0), (13, 0), (2026, 0)],
    ids=["13", "7", "2026", "10-same-instant", "13-same-instant", "2026-same-instant"],
)
async def test_three_ingesters_with_duplicated_deliveries_match_one(
    settings, resources, seed, apart_ms
):
    # apart_ms=0: both regions' results of a tick have the very same checked_at, so a
    # batch boundary may split an instant (the same-instant rule of api/targets/state.py).
    plans = _plans(seed)
    base = clock.now().replace(microsecond=0) - timedelta(minutes=10)

    # One ingester, each entry once, in order.
    single = await _make_targets(settings, plans)
    one = Ingester(resources, consumer="single", batch=3, block_ms=20)
    await one.ensure_group()
    for entry in _entries(single, plans, base, apart_ms=apart_ms):
        await hand_off(resources.redis, entry)
    await _drain(resources, [one])
    expected = await _outcome(single, base)
    assert sum(len(o["incidents"]) for o in expected) >= TARGETS  # the plan has outages

    # Three ingesters at once, every entry delivered twice (as after a probe's retry).
    triple = await _make_targets(settings, plans)
    entries = _entries(triple, plans, base, apart_ms=apart_ms)
    for n, entry in enumerate(entries):  # e0, e1, e0, e2, e1, ...: copies in other batches
        await hand_off(resources.redis, entry)
        if n:
            await hand_off(resources.redis, entries[n - 1])
    await hand_off(resources.redis, entries[-1])
    ingesters = [
        Ingester(resources, consumer=f"worker-{n}", batch=2, block_ms=20) for n in range(3)
    ]
    await _drain(resources, ingesters)
    got = await _outcome(triple, base)

    for want, have in zip(expected, got, strict=True):
        assert have == want
    assert sum(i.stats["entries"] for i in ingesters) == 2 * len(entries)
    # The ingesters wait for each other on the targets' row locks instead of losing the
    # compare-and-set again and again (which left one of them seconds late under CPU
    # load on PostgreSQL, issue 13), and each one does a share of the work.
    assert sum(i.stats["conflicts"] for i in ingesters) == 0
    assert all(i.stats["entries"] for i in ingesters)
    total = sum(i.stats["stored"] for i in ingesters)
    assert total == sum(o["results"] for o in expected)  # each result stored once


async def test_instant_split_over_batches_gives_the_same_history(settings, resources):
    from api.targets.state import ingest_results

    account = await create_account(settings)
    policy = {"retries": 1, "downConfirmRegions": 2}
    base = clock.now().replace(microsecond=0) - timedelta(minutes=10)
    plan = [("UP", "UP"), ("UP", "DOWN"), ("DOWN", "UP")]  # (eu-west, us-east) per second

    def results(target: Target) -> list[list[dict[str, Any]]]:
        return [
            [
                probe_result(target, region, status, due_ms=t, at=base + timedelta(seconds=t))
                for region, status in zip(("eu-west", "us-east"), statuses, strict=True)
            ]
            for t, statuses in enumerate(plan)
        ]

    together = await create_target(
        account.workspace, regions=["eu-west", "us-east"], alert_policy=policy, status="UP"
    )
    for instant in results(together):
        await ingest_results(resources, instant, publish=False)
    apart = await create_target(
        account.workspace, regions=["eu-west", "us-east"], alert_policy=policy, status="UP"
    )
    for instant in results(apart):
        for result in instant:
            await ingest_results(resources, [result], publish=False)

    async def history(target: Target) -> list[tuple[str, str, float]]:
        rows = await StateTransition.filter(target_id=target.id).order_by("at", "id")
        return [
            (r.from_status.value, r.to_status.value, (r.at - base).total_seconds()) for r in rows
        ]

    async def state(target: Target) -> tuple[Any, ...]:
        fresh = await Target.get(id=target.id)
        regions = await TargetRegionState.filter(target_id=target.id).order_by("region")
        return (
            fresh.status,
            fresh.status_changed_at,
            [(r.region, r.status, r.consecutive_failures) for r in regions],
        )

    assert await history(together) == []
    assert await history(apart) == await history(together)
    assert await state(apart) == await state(together)
