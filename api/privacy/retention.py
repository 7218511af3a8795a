"""Retention: nothing monitoring-related lives past `retention_days` (365), raw check
results only as long as the workspace's plan allows.

Deletes run in bounded batches (select at most N ids, delete them, repeat), each batch
its own statement, so the job never holds a long lock, can be stopped at any point
and simply continues on its next run. Workspaces under legal hold are skipped.

On PostgreSQL check results first leave by whole partitions (api/results/partitions.py):
a partition wholly older than the shortest keep period is dropped, the rows that
`expiry_conditions` (the one keep rule) does not expire copied into its rebuilt twin.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import OperationalError, TransactionManagementError
from tortoise.expressions import Q
from tortoise.models import Model

from api.core import clock
from api.core.logging import get_logger
from api.core.orm import column
from api.privacy import graph
from api.privacy.audit import held_workspace_ids
from api.results import partitions
from api.settings import Settings
from api.workspaces.models import Workspace

log = get_logger(__name__)


@dataclass(frozen=True)
class Rule:
    model: str
    field: str  # the timestamp that ages the row
    raw: bool = False  # raw results: kept for the plan's period, not the full year
    extra: tuple[tuple[str, object], ...] = ()  # more filters (e.g. only resolved incidents)


# Every monitoring model and the timestamp that ages it, children before parents.
# tests/privacy/test_model_coverage.py fails when a model reachable from Target is
# neither here nor in RETENTION_EXEMPT, or when a rule names a field the model lacks.
RULES: tuple[Rule, ...] = (
    Rule("Notification", "created_at"),
    Rule("AlertEvent", "at"),
    # Posted on a status page, possibly about an incident (history, like the incident).
    Rule("StatusUpdate", "posted_at"),
    # Open or resolved: an incident that started more than a year ago is history.
    Rule("Incident", "started_at"),
    Rule("StateTransition", "at"),
    Rule("CheckResult", "checked_at", raw=True),  # heartbeat pings are results too
    Rule("ResultRollup", "hour"),
    Rule("MaintenanceWindow", "ends_at", extra=(("weekly", False),)),
    # A weekly window repeats until `until` (null: for ever, kept).
    Rule("MaintenanceWindow", "until", extra=(("weekly", True),)),
)

# Models (and many-to-many tables) reachable from a target that are configuration or
# current state, not history.
RETENTION_EXEMPT: dict[str, str] = {
    "Target": "the monitor itself: configuration, kept while the customer keeps it",
    "TargetRegionState": "the current state per region, one row, overwritten",
    "BillingPause": "state: a target billing paused, one row, gone when it is resumed",
    "BadgeToken": "the hash of the target's badge credential: configuration, goes with the target",
    "TargetDependency": "configuration: what a target depends on, goes with the target",
    # A many-to-many table (no model): tests/privacy/test_model_coverage.py checks them too.
    "target_group_members": "configuration: the targets a group holds, goes with either side",
}


async def _delete_batches(
    model: type[Model], condition: Q, batch: int, *, pause: float = 0.0
) -> int:
    pk = model._meta.pk_attr
    total = 0
    while True:
        ids = await column(model.filter(condition).order_by(pk).limit(batch), pk)
        if not ids:
            return total
        total += int(await model.filter(**{f"{pk}__in": ids}).delete() or 0)
        if len(ids) < batch:
            return total
        await asyncio.sleep(pause)  # let the API's queries in between batches


def _q(lookups: Mapping[str, object]) -> Q:
    """A Q of lookups whose names are built at run time."""
    kwargs: dict[str, Any] = dict(lookups)
    return Q(**kwargs)


def _held_filter(model: type[Model], held: list[int]) -> Q:
    """Rows not belonging to a held workspace (rows with no workspace are not held)."""
    if not held:
        return Q()
    path = graph.lookup_to(model, "Workspace")
    if path is None:
        return Q()
    return _q({f"{path}__isnull": True}) | ~_q({f"{path}__in": held})


async def run_retention(settings: Settings) -> dict[str, int]:
    """Apply every rule; returns the rows deleted per model (also logged)."""
    now = clock.now()
    registry = graph.models()
    held = await held_workspace_ids()
    plans: set[str] = set(await column(Workspace.all().distinct(), "plan"))
    counts: Counter[str] = Counter()
    dropped: list[str] = []
    for rule in RULES:
        model = registry[rule.model]
        conditions = expiry_conditions(settings, model, rule, held, plans, now)
        if rule.model == "CheckResult":
            rows, names = await _drop_expired_partitions(settings, model, conditions, plans, now)
            counts[rule.model] += rows
            dropped += names
        for cond in conditions:
            counts[rule.model] += await _delete_batches(model, cond, settings.retention_batch_size)
    result = {k: v for k, v in counts.items()}
    log.info(
        "retention_done", deleted=result, held_workspaces=len(held), dropped_partitions=dropped
    )
    return result


def expiry_conditions(
    settings: Settings,
    model: type[Model],
    rule: Rule,
    held: list[int],
    plans: set[str],
    now: datetime,
) -> list[Q]:
    """THE rule of what retention removes: a row matching any of these conditions is
    expired (the year for every row; raw results past their plan's period), unless it
    belongs to a workspace under legal hold. Row deletion deletes by these conditions;
    dropping a partition keeps every row of it that matches none of them."""
    keep = _held_filter(model, held)
    year_cutoff = now - timedelta(days=settings.retention_days)
    conditions = [_q({f"{rule.field}__lt": year_cutoff}) & _q(dict(rule.extra)) & keep]
    if not rule.raw:
        return conditions
    path = graph.lookup_to(model, "Workspace")
    if path is None or not path.endswith("_id"):
        return conditions
    plan_path = path.removesuffix("_id") + "__plan"
    for plan in sorted(plans):
        days = settings.raw_retention_days(plan)
        if days >= settings.retention_days:
            continue
        cutoff = now - timedelta(days=days)
        conditions.append(_q({f"{rule.field}__lt": cutoff, plan_path: plan}) & keep)
    return conditions


# A partition is rebuilt with its kept rows (and the rest dropped) only when at most this
# share of its rows is kept; otherwise copying would cost more than deleting the expired
# rows, and row deletion handles it (the partition goes whole once nothing in it is kept).
MAX_KEPT_SHARE = 0.5


async def _drop_expired_partitions(
    settings: Settings, model: type[Model], conditions: list[Q], plans: set[str], now: datetime
) -> tuple[int, list[str]]:
    """PostgreSQL: drop the partitions of check_results wholly older than the shortest
    keep period, after copying out the rows `expiry_conditions` does not expire (held
    workspaces, longer plans). Returns (rows dropped, partitions dropped or rebuilt)."""
    if not partitions.is_postgres() or not await partitions.is_partitioned(
        connections.get("default")
    ):
        return 0, []
    shortest = min([settings.retention_days, *(settings.raw_retention_days(p) for p in plans)])
    cutoff = now - timedelta(days=shortest)
    expired_q = conditions[0]
    for cond in conditions[1:]:
        expired_q |= cond
    rows, names = 0, []
    for part in await partitions.list_partitions():
        if part.end > cutoff:
            continue
        inside = Q(checked_at__lt=part.end)
        if part.start is not None:
            inside &= Q(checked_at__gte=part.start)
        total = await partitions.partition_rows(part.name)
        expired = await model.filter(inside & expired_q).count()
        if total - expired > total * MAX_KEPT_SHARE:
            continue
        kept = [int(i) for i in await column(model.filter(inside & ~expired_q), "id")]
        if len(kept) + expired != total:  # every row is expired or kept, or nothing happens
            log.warning("retention_partition_mismatch", partition=part.name, total=total)
            continue
        try:
            await partitions.drop_partition(part, kept, total)
        except (
            OperationalError,  # lock timeout, deadlock with a late insert
            TransactionManagementError,
            partitions.PartitionChanged,
        ) as exc:  # the partition stays; row deletion below still runs
            log.warning("retention_partition_skipped", partition=part.name, error=str(exc))
            continue
        rows += expired
        names.append(part.name)
    return rows, names
