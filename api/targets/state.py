"""Target state machine and result ingestion (core worker side, owns the database).

Per region: the latest effective status and the count of consecutive failures; a region
counts DOWN only after `retries` consecutive failed checks (alert policy, default 1).
Overall: DOWN when at least `downConfirmRegions` regions (default: a majority of the
target's regions) are DOWN; else DEGRADED when a region is DEGRADED (slow, certificate
near expiry); else UP. Each change of the overall status is one StateTransition row
(claimed later by alerting) and one "target_status" event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from api.core import clock
from api.core.logging import get_logger
from api.events import events_channel
from api.targets.models import (
    CheckResult,
    CheckStatus,
    StateTransition,
    Target,
    TargetRegionState,
    TargetStatus,
)
from api.targets.probe_contract import alert_policy

log = get_logger(__name__)

RESULT_FIELDS = (
    "check_id",
    "region",
    "status",
    "response_time_ms",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "first_byte_ms",
    "transfer_ms",
    "http_status",
    "error",
)


# --- Pure rules ------------------------------------------------------------------------


def retries_of(target: Any) -> int:
    try:
        return max(1, int(alert_policy(target).get("retries") or 1))
    except (TypeError, ValueError):
        return 1


def confirm_regions(target: Any, regions: list[str]) -> int:
    """How many regions must agree before the target is DOWN."""
    wanted = alert_policy(target).get("downConfirmRegions")
    majority = len(regions) // 2 + 1
    try:
        need = int(wanted) if wanted else majority
    except (TypeError, ValueError):
        need = majority
    return max(1, min(need, max(1, len(regions))))


def apply_to_region(state: TargetRegionState, status: str, error: str | None, retries: int) -> None:
    if status == CheckStatus.DOWN:
        state.consecutive_failures += 1
        if state.consecutive_failures >= retries:
            state.status = CheckStatus.DOWN
        state.last_error = error
    else:
        state.consecutive_failures = 0
        state.status = CheckStatus(status)
        state.last_error = error if status == CheckStatus.DEGRADED else None


@dataclass
class Verdict:
    status: TargetStatus
    regions: list[str] = field(default_factory=list)
    cause: str | None = None


def overall(target: Any, states: list[TargetRegionState], regions: list[str]) -> Verdict | None:
    """The target's status from its regions' states (None: no region has spoken yet)."""
    seen = [s for s in states if s.region in regions and s.status is not None]
    if not seen:
        return None
    down = [s for s in seen if s.status == CheckStatus.DOWN]
    if len(down) >= confirm_regions(target, regions):
        return Verdict(TargetStatus.DOWN, sorted(s.region for s in down), _cause(down))
    degraded = [s for s in seen if s.status == CheckStatus.DEGRADED]
    if degraded:
        return Verdict(TargetStatus.DEGRADED, sorted(s.region for s in degraded), _cause(degraded))
    up = sorted(s.region for s in seen if s.status == CheckStatus.UP)
    if not up:
        # Only unconfirmed failures so far: no region has seen it up, so it is not UP.
        return None
    return Verdict(TargetStatus.UP, up)


def _cause(states: list[TargetRegionState]) -> str | None:
    for state in sorted(states, key=lambda s: s.region):
        if state.last_error:
            return state.last_error
    return None


# --- Ingestion -------------------------------------------------------------------------


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    transitions: list[StateTransition] = field(default_factory=list)


async def ingest_results(
    resources: Any, results: list[dict[str, Any]], *, publish: bool = True
) -> IngestReport:
    """Store a batch of probe results once each and move the targets' states.

    Idempotent on check_id: results already stored (a re-delivery) are skipped before
    they can touch the state machine.
    """
    report = IngestReport()
    unique: dict[str, dict[str, Any]] = {}
    for result in results:
        unique.setdefault(str(result["check_id"]), result)
    report.duplicates += len(results) - len(unique)
    if not unique:
        return report
    existing = set(
        await CheckResult.filter(check_id__in=list(unique)).values_list("check_id", flat=True)
    )
    report.duplicates += len(existing)
    fresh = [r for cid, r in unique.items() if cid not in existing]
    target_ids = {int(r["target_id"]) for r in fresh}
    targets = {t.id: t for t in await Target.filter(id__in=list(target_ids))}
    # Late results of paused or deleted targets are dropped.
    kept = [r for r in fresh if (t := targets.get(int(r["target_id"]))) and not t.paused]
    report.ignored = len(fresh) - len(kept)
    if not kept:
        return report
    rows = [
        CheckResult(
            target_id=int(r["target_id"]),
            checked_at=_dt(r["checked_at"]),
            certificate_expires_at=_dt(r.get("certificate_expires_at")),
            **{k: r.get(k) for k in RESULT_FIELDS},
        )
        for r in kept
    ]
    configured = list(resources.settings.regions)
    async with in_transaction():
        await CheckResult.bulk_create(rows, ignore_conflicts=True)
        by_target: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in kept:
            by_target[int(r["target_id"])].append(r)
        states: dict[int, dict[str, TargetRegionState]] = defaultdict(dict)
        for state in await TargetRegionState.filter(target_id__in=list(by_target)):
            states[state.target_id][state.region] = state
        for target_id, target_results in by_target.items():
            transition = await _advance(
                targets[target_id], states[target_id], target_results, configured
            )
            if transition is not None:
                report.transitions.append(transition)
    report.stored = len(kept)
    if publish:
        await _publish(resources, targets, kept, report.transitions)
    return report


async def _advance(
    target: Target,
    states: dict[str, TargetRegionState],
    results: list[dict[str, Any]],
    configured: list[str],
) -> StateTransition | None:
    retries = retries_of(target)
    changed: dict[str, TargetRegionState] = {}
    for r in sorted(results, key=lambda x: str(x["checked_at"])):
        if r["status"] == CheckStatus.INCONCLUSIVE:
            continue  # the probe could not judge (overloaded): not evidence either way
        region = str(r["region"])
        at = _dt(r["checked_at"])
        state = states.get(region)
        if state is None:
            state = TargetRegionState(target_id=target.id, region=region, consecutive_failures=0)
            states[region] = state
        elif state.last_checked_at is not None and at is not None and at < state.last_checked_at:
            continue  # an older result arriving late does not move the state back
        before = (state.status, state.consecutive_failures, state.last_error)
        apply_to_region(state, str(r["status"]), r.get("error"), retries)
        if (state.status, state.consecutive_failures, state.last_error) != before or (
            state.last_checked_at is None
        ):
            state.last_checked_at = at
            changed[region] = state
    for state in changed.values():
        # last_checked_at is written only with a change: in steady state a check costs
        # no state write (the results table holds each check's time).
        if state._saved_in_db:
            await state.save(
                update_fields=["status", "consecutive_failures", "last_error", "last_checked_at"]
            )
        else:
            await state.save()
    regions = [r for r in (target.regions or configured) if r in configured] or configured
    verdict = overall(target, list(states.values()), regions)
    if verdict is None or verdict.status == target.status:
        return None
    return await transition(target, verdict)


async def transition(target: Target, verdict: Verdict) -> StateTransition:
    """Record a change of the overall status (the caller holds the transaction)."""
    now = clock.now()
    previous = target.status
    target.status = verdict.status
    target.status_changed_at = now
    await Target.filter(id=target.id).update(status=verdict.status, status_changed_at=now)
    row = await StateTransition.create(
        target_id=target.id,
        from_status=previous,
        to_status=verdict.status,
        at=now,
        regions=verdict.regions,
        cause=verdict.cause,
    )
    log.info(
        "target_status_changed",
        target_id=target.id,
        from_status=str(previous),
        to_status=str(verdict.status),
        regions=verdict.regions,
    )
    return row


def result_payload(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


async def _publish(
    resources: Any,
    targets: dict[int, Target],
    kept: list[dict[str, Any]],
    transitions: list[StateTransition],
) -> None:
    """One pipeline for every event of the batch (same shape as api.events.publish)."""
    ids = dict(
        await CheckResult.filter(check_id__in=[r["check_id"] for r in kept]).values_list(
            "check_id", "id"
        )
    )
    pipe = resources.redis.pipeline(transaction=False)
    channel = events_channel(resources.redis)
    for r in kept:
        target = targets[int(r["target_id"])]
        payload = {
            "id": ids.get(r["check_id"]),
            "target_id": target.id,
            "checked_at": r["checked_at"],
            "certificate_expires_at": r.get("certificate_expires_at"),
            "in_maintenance": False,
            **{k: r.get(k) for k in RESULT_FIELDS},
        }
        event = {
            "type": "check_result",
            "workspaceId": target.workspace_id,
            "targetId": target.id,
            "result": payload,
        }
        pipe.publish(channel, json.dumps(event, default=str))
    for row in transitions:
        target = targets[row.target_id]
        event = {
            "type": "target_status",
            "workspaceId": target.workspace_id,
            "targetId": target.id,
            "status": str(row.to_status.value),
            "statusChangedAt": row.at.isoformat(),
        }
        pipe.publish(channel, json.dumps(event, default=str))
    await pipe.execute()
