"""Results are evaluated in check-time order, one by one, whatever order they arrive in.

The same sequence of checks goes through the real path (probe hand-off on the Redis
stream, the ingester, then the alerting job's processing) live, in one batch, reversed,
and duplicated; the outages (incidents, and the transitions into and out of DOWN, at the
checks' own times) and the final states must be the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.core import clock
from api.incidents.models import Incident
from api.incidents.service import process_transitions
from api.targets.models import StateTransition, Target, TargetRegionState
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target
from workers.jobs.checks import hand_off
from workers.jobs.ingest import Ingester

# One region, retries 1: every DOWN counts. Three outages: [2, 4), [6, 7) and one still
# open from 9 on (seconds from the start of the sequence).
SEQUENCE = "U U D D U U D U U D"
LIVE_OUTAGES = [(2, 4), (6, 7), (9, None)]


def _results(target: Target, base: datetime) -> list[dict[str, Any]]:
    out = []
    for second, letter in enumerate(SEQUENCE.split()):
        status = "DOWN" if letter == "D" else "UP"
        result = probe_result(
            target,
            "eu-west",
            status,
            due_ms=second,
            at=base + timedelta(seconds=second),
            error="CONNECT_ERROR: refused" if status == "DOWN" else None,
        )
        out.append(result)
    return out


async def _ingest(resources: Any, ingester: Ingester, batches: list[list[dict]]) -> None:
    """Each batch is one stream entry, read by the ingester, then alerting runs (as the
    core worker's process_transitions job would after the ingester's dispatch)."""
    for batch in batches:
        await hand_off(resources.redis, batch)
        while await ingester.step():
            pass
        await process_transitions(resources)


async def _outcome(target: Target, base: datetime) -> dict[str, Any]:
    def sec(at: datetime | None) -> float | None:
        return None if at is None else (at - base).total_seconds()

    fresh = await Target.get(id=target.id)
    incidents = await Incident.filter(target_id=target.id).order_by("started_at")
    rows = await StateTransition.filter(target_id=target.id).order_by("at", "id")
    region = await TargetRegionState.get(target_id=target.id, region="eu-west")
    return {
        "incidents": [(sec(i.started_at), sec(i.resolved_at), i.cause) for i in incidents],
        "notified": [i.notified_at is not None for i in incidents],
        # Into and out of DOWN, at the checks' times (what alerting acts on).
        "outage_edges": [
            (sec(r.at), r.to_status.value)
            for r in rows
            if "DOWN" in (r.from_status.value, r.to_status.value)
        ],
        "all_claimed": all(r.claimed_at is not None for r in rows),
        "status": fresh.status.value,
        "status_changed_at": sec(fresh.status_changed_at),
        "region": (region.status.value, region.consecutive_failures, region.last_error),
        "transitions": [(r.from_status.value, r.to_status.value, sec(r.at)) for r in rows],
    }


async def _run(settings: Any, resources: Any, order: str) -> dict[str, Any]:
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=["eu-west"])
    base = clock.now().replace(microsecond=0) - timedelta(minutes=10)
    results = _results(target, base)
    ingester = Ingester(resources, consumer=f"c-{order}")
    await ingester.ensure_group()
    batches = {
        "live": [[r] for r in results],
        "one batch": [results],
        "one batch reversed": [list(reversed(results))],
        "duplicated": [[r, r] for r in results] + [[r] for r in results] + [results + results],
        "reversed live": [[r] for r in reversed(results)],
        "reclaimed late": [[r] for r in results[::2]] + [[r] for r in results[1::2]],
    }[order]
    await _ingest(resources, ingester, batches)
    return await _outcome(target, base)


async def test_live_ingest_records_every_outage_at_the_checks_times(settings, resources):
    live = await _run(settings, resources, "live")
    cause = "CONNECT_ERROR: refused"
    assert live["incidents"] == [(a, b, cause) for a, b in LIVE_OUTAGES]
    assert live["notified"] == [True, True, True]
    assert live["transitions"] == [
        ("PENDING", "UP", 0),
        ("UP", "DOWN", 2),
        ("DOWN", "UP", 4),
        ("UP", "DOWN", 6),
        ("DOWN", "UP", 7),
        ("UP", "DOWN", 9),
    ]
    assert live["status"] == "DOWN"
    assert live["status_changed_at"] == 9
    assert live["all_claimed"]


async def test_one_batch_reversed_or_duplicated_gives_the_live_history(settings, resources):
    live = await _run(settings, resources, "live")
    for order in ("one batch", "one batch reversed", "duplicated"):
        # A backlog (one batch) is evaluated result by result: DOWN then UP in the same
        # batch is an outage, not nothing.
        assert await _run(settings, resources, order) == live, order


async def test_late_results_add_the_outages_they_reveal_at_their_true_times(settings, resources):
    live = await _run(settings, resources, "live")
    for order in ("reversed live", "reclaimed late"):
        late = await _run(settings, resources, order)
        # Same outages, same alerts, same final state: an older result never overrides a
        # newer one, and a DOWN arriving late still opens (and closes) its incident.
        for key in ("incidents", "notified", "outage_edges", "status", "region", "all_claimed"):
            assert late[key] == live[key], (order, key)
        assert late["status_changed_at"] == live["status_changed_at"]
