"""Target state machine and result ingestion (core worker side, owns the database).

Per region: the latest effective status and the count of consecutive failures; a region
counts DOWN only after `retries` consecutive failed checks (alert policy, default 1).
Overall: DOWN when at least `downConfirmRegions` regions (default: a majority of the
target's regions) are DOWN; else DEGRADED when a region is DEGRADED (slow, certificate
near expiry); else UP. Each change of the overall status is one StateTransition row
(claimed later by alerting) and one "target_status" event.

Check-time order (the rule):
- A target's results are evaluated one at a time in check-time order (checked_at, then
  check_id; results of the same instant, from several regions, are judged together),
  within a batch and across batches: a transition is dated with the checked_at
  of the result that made it (so are incidents), and DOWN then UP in one batch (a backlog
  after a stall) is an outage, not nothing.
- `Target.state_checked_at` is the cursor: the checked_at of the latest result applied.
  A result not newer than it (a reclaimed stream entry, a slow probe) is stored and the
  target is replayed from the oldest such result to the cursor, starting from each
  region's state rebuilt from the results before it (its last result that was not DOWN
  and the run of DOWNs since). An older result never overrides a newer state: the
  replay ends on the same latest results.
- The announced history (transitions alerting may already have acted on) is amended,
  never rewritten: an outage the replay finds that was never announced is recorded at
  its true times (DOWN at its first failing check, recovery at the first good one), so
  it opens, alerts and resolves its incident late; an announced outage keeps its
  identity — never split, never removed — but its start (and its end, when late good
  results show it ended earlier) moves to the true time, with its incident's. Late
  results that only reveal a DEGRADED period, or an UP inside an announced outage, add
  nothing. When the replay changes the current status, the change is dated no earlier
  than the last transition announced.
- The same-instant rule (the one exception to "amended, never rewritten"): results of
  one instant from several regions are judged together, but a batch boundary may split
  them, and the first part alone may announce a change (DOWN from one region while the
  other region's result of that very instant is still on its way). When the rest of the
  instant arrives and the whole instant does not lead to the announced status, that
  transition is WITHDRAWN (deleted; the target's status and status_changed_at go back to
  what they were; a correcting target_status event is published) — but only while
  alerting has not claimed it: the DELETE is conditional on `claimed_at IS NULL`, the
  condition of alerting's claim, so one of the two wins. A claimed transition is kept
  (an incident may be open and paged) and the status changes back at the same instant,
  so the usual recovery resolves the incident. Only the target's latest transitions,
  at an instant of the late results, are withdrawn; an announced change already followed
  by another one stays under the rule above.
- So the same results give the same outages, incidents and final state live, in one
  batch, in any order and duplicated (tests/engine/test_check_time_order.py), and split
  across batches inside an instant as long as alerting has not acted in between
  (tests/engine/test_concurrent_ingest.py); only the non-alerting PENDING->UP start and
  the from_status of a late-recorded outage depend on what had been announced when it
  arrived.

Several ingesters at once (N core workers): a batch runs in one transaction that first
locks its targets' rows in id order (PostgreSQL `SELECT ... FOR UPDATE`; SQLite has one
writer at a time), so a second ingester waits for the first and then reads the state it
left; it reads each target's `state_version` before its duplicate check and ends with ONE
compare-and-set statement for all its targets (`UPDATE targets ... WHERE state_version
= CASE id WHEN ? THEN ? ... END`; PostgreSQL: joined to arrays of ids and versions; it
must touch every one); when another ingester
got there first the batch is rolled back and retried (its results are then
duplicates), so no result is applied twice nor against a stale state (with the locks
this happens only against a writer that did not lock). Rows are locked in a fixed order
(targets by id, then results by check_id), so ingesters wait instead of deadlocking.
Waiting matters, not only safety: with optimistic retries alone one ingester could lose
again and again under CPU load and store its results seconds late, after the others had
moved on, and late results may legitimately merge or split outages differently (an
announced outage keeps its identity), so N ingesters no longer matched one (issue 13).
Pause, resume and heartbeat changes bump the version too.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import OperationalError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.core import clock
from api.core.logging import get_logger
from api.events import changes_key, events_channel
from api.incidents.models import Incident
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
    # A region whose probe could not judge lately (INCONCLUSIVE) keeps its vote, but an
    # old UP vote does not stand against the regions that still judge: they confirm an
    # outage among themselves. (Its DOWN vote stands: overload never ends an outage.)
    # (A region that has only ever been INCONCLUSIVE has a state with no vote: it is blind.)
    blind = {s.region for s in states if s.inconclusive and s.status != CheckStatus.DOWN}
    judging = [r for r in regions if r not in blind] if blind else regions
    if down and len(down) >= confirm_regions(target, judging):
        return Verdict(TargetStatus.DOWN, sorted(s.region for s in down), _cause(down))
    degraded = [s for s in seen if s.status == CheckStatus.DEGRADED]
    if degraded:
        return Verdict(TargetStatus.DEGRADED, sorted(s.region for s in degraded), _cause(degraded))
    up = sorted(s.region for s in seen if s.status == CheckStatus.UP)
    if not up:
        # Only unconfirmed failures so far: no region has seen it up, so it is not UP.
        return None
    return Verdict(TargetStatus.UP, up)


async def current_verdict(target: Target, configured: list[str]) -> Verdict | None:
    """The target's status as its regions' latest results give it now, with their cause
    and failing regions (a transition records those of the moment it happened)."""
    regions = [r for r in (target.regions or configured) if r in configured] or configured
    states = await TargetRegionState.filter(target_id=target.id)
    return overall(target, states, regions)


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


def _order(result: dict[str, Any]) -> tuple[datetime, str]:
    """Check-time order; the check id breaks ties so every run sorts the same way."""
    return (_dt(result["checked_at"]) or datetime.min, str(result["check_id"]))


class StateConflict(Exception):
    """Another ingester moved this target's state since this batch read it."""


MAX_ATTEMPTS = 8


@dataclass
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    conflicts: int = 0
    transitions: list[StateTransition] = field(default_factory=list)
    # The transitions that changed a target's current status (the rest record a past
    # outage revealed by late results): only these become target_status events.
    current: list[StateTransition] = field(default_factory=list)
    # Announced transitions that the whole instant did not confirm, withdrawn before
    # alerting acted on them (the same-instant rule, module docstring): each target
    # whose status they had changed gets a correcting target_status event.
    withdrawn: list[StateTransition] = field(default_factory=list)
    targets: dict[int, Target] = field(default_factory=dict)
    kept: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # check_id -> CheckResult id (stored)


async def ingest_results(
    resources: Any, results: list[dict[str, Any]], *, publish: bool = True
) -> IngestReport:
    """Store a batch of probe results once each and move the targets' states.

    Idempotent on check_id: results already stored (a re-delivery) are skipped before
    they can touch the state machine. Safe with several ingesters at once: each target's
    state is written with a compare-and-set on `Target.state_version`; when another
    ingester won, the whole batch is rolled back and read again (its results then count
    as duplicates, so nothing is applied twice).
    """
    conflicts = 0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            report = await _ingest_once(resources, results)
        except (StateConflict, OperationalError) as exc:
            # A lost compare-and-set, or the database refusing a racing writer (SQLite's
            # "database is locked" between processes, a PostgreSQL deadlock): the batch was
            # rolled back whole, so it can simply run again.
            conflicts += 1
            if attempt == MAX_ATTEMPTS:
                raise
            log.info("ingest_state_conflict", error=repr(exc), attempt=attempt)
            await asyncio.sleep(random.uniform(0, 0.02 * attempt))
            continue
        report.conflicts = conflicts
        if publish and report.stored:
            await _publish(resources, report)
        return report
    raise AssertionError("unreachable")


# A result sent again carries the same check_id AND checked_at (the unique key on the
# partitioned table of PostgreSQL is (check_id, checked_at)): looking it up within the
# batch's checked_at range, widened by a margin, lets PostgreSQL prune the partitions.
_DUPLICATE_MARGIN = timedelta(days=1)


def _checked_at_range(results: list[dict[str, Any]]) -> tuple[datetime, datetime] | None:
    """The batch's checked_at range widened by the margin (None: a result has no time)."""
    times = [t for r in results if (t := _dt(r.get("checked_at"))) is not None]
    if len(times) != len(results) or not times:
        return None
    return min(times) - _DUPLICATE_MARGIN, max(times) + _DUPLICATE_MARGIN


def _same_checks(results: list[dict[str, Any]]) -> QuerySet[CheckResult]:
    """The stored rows with the check_ids of `results`, searched near their checked_at."""
    query = CheckResult.filter(check_id__in=[str(r["check_id"]) for r in results])
    if (bounds := _checked_at_range(results)) is not None:
        query = query.filter(checked_at__gte=bounds[0], checked_at__lte=bounds[1])
    return query


# PostgreSQL: one probe of the (check_id, checked_at) index per check id, whatever the
# planner's statistics. `check_id IN (...) AND checked_at BETWEEN ...` was planned, on a
# table or partition not analysed yet (a new database, each new day's partition until
# autovacuum analyses it), as a scan of every row of the range through the primary key
# or the (target_id, checked_at) index, testing each against the ids: its cost grew with
# the rows stored that day (350 ms per batch of 250 at 30,000 rows, 0.5 ms this way), and
# it was most of PostgreSQL's CPU per result. LIMIT 1 keeps the lateral subquery a
# nested loop (a join could again become a scan of the range).
_STORED_SQL = (
    "SELECT u.check_id FROM unnest($1::text[]) AS u(check_id) CROSS JOIN LATERAL "
    "(SELECT 1 FROM check_results c WHERE c.check_id = u.check_id{range} LIMIT 1) AS stored"
)


async def _stored_check_ids(results: list[dict[str, Any]], *, postgres: bool) -> set[str]:
    """The check ids of `results` already stored: a re-delivered result (same checked_at)
    or an earlier result of the same check run again (a re-run: another checked_at)."""
    if not postgres:
        return {
            str(check_id)
            for check_id in await _same_checks(results).values_list("check_id", flat=True)
        }
    params: list[Any] = [[str(r["check_id"]) for r in results]]
    clause = ""
    if (bounds := _checked_at_range(results)) is not None:
        params += list(bounds)
        clause = " AND c.checked_at >= $2 AND c.checked_at <= $3"
    rows = await connections.get("default").execute_query_dict(
        _STORED_SQL.format(range=clause), params
    )
    return {str(row["check_id"]) for row in rows}


async def _ingest_once(resources: Any, results: list[dict[str, Any]]) -> IngestReport:
    report = IngestReport()
    unique: dict[str, dict[str, Any]] = {}
    for result in results:
        unique.setdefault(str(result["check_id"]), result)
    report.duplicates += len(results) - len(unique)
    if not unique:
        return report
    configured = list(resources.settings.regions)
    async with in_transaction():
        # The batch's targets are locked first, in id order (PostgreSQL: SELECT ... FOR
        # UPDATE; SQLite serialises writers anyway): a second ingester waits here for the
        # first to commit, then reads the state it left, instead of computing against a
        # stale one and losing the compare-and-set. Optimistic retries alone let one
        # ingester lose again and again under CPU load while the others moved on, so its
        # results landed seconds late and split or merged outages differently from one
        # ingester (issue 13). Versions are still read BEFORE the duplicate check, and the
        # compare-and-set stays as the guard against any writer that did not lock.
        # Reads are split in chunks (TARGETS_PER_READ ids, RESULTS_PER_READ check ids a
        # statement): PostgreSQL refuses more than 32,767 bind parameters in one.
        postgres = connections.get("default").capabilities.dialect == "postgres"
        targets: dict[int, Target] = {}
        for ids in _chunks(
            sorted({int(r["target_id"]) for r in unique.values()}), TARGETS_PER_READ
        ):
            locked = Target.filter(id__in=ids).order_by("id").only(*INGEST_TARGET_FIELDS)
            if postgres:
                locked = locked.select_for_update()
            targets.update((t.id, t) for t in await locked)
        existing: set[str] = set()
        for check_ids in _chunks(list(unique), RESULTS_PER_READ):
            chunk = [unique[check_id] for check_id in check_ids]
            existing |= await _stored_check_ids(chunk, postgres=postgres)
        report.duplicates += len(existing)
        fresh = [r for cid, r in unique.items() if cid not in existing]
        # Late results of paused or deleted targets are dropped.
        kept = [r for r in fresh if (t := targets.get(int(r["target_id"]))) and not t.paused]
        report.ignored = len(fresh) - len(kept)
        if not kept:
            return report
        # Sorted inserts and targets taken in id order: concurrent ingesters lock rows in
        # the same order, so they wait for each other instead of deadlocking.
        kept.sort(key=lambda r: str(r["check_id"]))
        report.ids = await insert_results(kept, postgres=postgres)
        by_target: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in kept:
            by_target[int(r["target_id"])].append(r)
        states: dict[int, dict[str, TargetRegionState]] = defaultdict(dict)
        for ids in _chunks(list(by_target), TARGETS_PER_READ):
            for state in await TargetRegionState.filter(target_id__in=ids):
                states[state.target_id][state.region] = state
        cas: list[tuple[int, int, datetime]] = []
        moved: list[Target] = []
        writes = _Writes()
        yielded = time.monotonic()
        for target_id in sorted(by_target):
            if time.monotonic() - yielded > YIELD_SECONDS:
                # The core worker's scheduler ticks in this event loop: a batch of
                # thousands of targets (a backlog) is tens of ms of Python per hundred
                # targets with no await in steady state; it let ticks wait for seconds.
                await asyncio.sleep(0)
                yielded = time.monotonic()
            target = targets[target_id]
            version, seen = target.state_version, (target.status, target.status_changed_at)
            past, current, withdrawn = await _advance(
                target, states[target_id], by_target[target_id], configured, writes
            )
            if target.state_checked_at is not None:  # None: only INCONCLUSIVE so far
                cas.append((target_id, version, target.state_checked_at))
            if (target.status, target.status_changed_at) != seen:
                moved.append(target)
            report.transitions.extend(past + current)
            report.current.extend(current)
            report.withdrawn.extend(withdrawn)
        await writes.flush()
        await _compare_and_set(cas)
        # Written only when moved: never a stale copy over another writer's.
        await _write_statuses(moved, postgres=postgres)
    report.stored = len(kept)
    report.targets = targets
    report.kept = kept
    return report


_INSERT_COLUMNS = ("target_id", *RESULT_FIELDS, "checked_at", "certificate_expires_at")
# A row binds len(_INSERT_COLUMNS) = 14 parameters: 1,000 rows = 14,000 per statement.
INSERT_ROWS = 1000
TARGETS_PER_READ = 1000
# The only Target columns the ingest reads (partial rows: never saved, the ingest writes
# targets with UPDATE statements): hydrating whole rows (config JSON, six datetimes) was
# ~40 % of the core worker's Python time per result.
INGEST_TARGET_FIELDS = (
    "id",
    "workspace_id",
    "status",
    "status_changed_at",
    "paused",
    "regions",
    "alert_policy",
    "state_checked_at",
    "state_version",
)
RESULTS_PER_READ = 4000
# Longest stretch of a batch's Python work without giving the event loop a turn.
YIELD_SECONDS = 0.01
_CHECKED_AT = CheckResult._meta.fields_map["checked_at"]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def insert_results(results: list[dict[str, Any]], *, postgres: bool) -> dict[str, int]:
    """Store results with one multi-row INSERT per INSERT_ROWS rows, skipping any check id
    already stored (PostgreSQL `ON CONFLICT DO NOTHING`: the unique key is (check_id,
    checked_at) on the partitioned table, and a duplicate delivery carries the same
    checked_at; SQLite `INSERT OR IGNORE`); returns {check_id: id} of the rows inserted
    (RETURNING), for live events.

    No model objects: building a CheckResult per row and tortoise's bulk_create cost more
    CPU than the database did."""
    conn = connections.get("default")
    columns = ", ".join(_INSERT_COLUMNS)
    ids: dict[str, int] = {}
    width = len(_INSERT_COLUMNS) + 1  # + in_maintenance
    for chunk in _chunks(results, INSERT_ROWS):
        rows: list[list[Any]] = []
        for r in chunk:
            expires = _dt(r.get("certificate_expires_at"))
            rows.append(
                [
                    int(r["target_id"]),
                    *(r.get(k) for k in RESULT_FIELDS),
                    _CHECKED_AT.to_db_value(_dt(r["checked_at"]), CheckResult),
                    None if expires is None else _CHECKED_AT.to_db_value(expires, CheckResult),
                ]
            )
        if postgres:
            # One array per column: the same statement text for every batch, so asyncpg
            # prepares it once per connection (a VALUES list of N rows is a new statement
            # for each N: parsed and planned again, 15 parameters a row bound one by one).
            sql, params = _INSERT_UNNEST, [list(column) for column in zip(*rows, strict=True)]
        else:
            row = "(" + ", ".join("?" for _ in range(width)) + ")"
            sql = (
                f"INSERT OR IGNORE INTO check_results ({columns}, in_maintenance) "  # noqa: S608
                f"VALUES {', '.join(row for _ in chunk)} RETURNING check_id, id"
            )
            params = [value for values in rows for value in (*values, False)]
        # execute_query_dict: tortoise's asyncpg execute_query drops an INSERT's rows.
        returned = await conn.execute_query_dict(sql, params)
        ids.update((str(rec["check_id"]), int(rec["id"])) for rec in returned)
    return ids


_PG_TYPES = {
    "target_id": "int4",
    "check_id": "text",
    "region": "text",
    "status": "text",
    "http_status": "int4",
    "error": "text",
    "checked_at": "timestamptz",
    "certificate_expires_at": "timestamptz",
}
_INSERT_UNNEST = (
    f"INSERT INTO check_results ({', '.join(_INSERT_COLUMNS)}, in_maintenance) "  # noqa: S608
    f"SELECT *, FALSE FROM unnest("
    + ", ".join(
        f"${n}::{_PG_TYPES.get(column, 'float8')}[]"
        for n, column in enumerate(_INSERT_COLUMNS, start=1)
    )
    + ") ON CONFLICT DO NOTHING RETURNING check_id, id"
)


async def _compare_and_set(rows: list[tuple[int, int, datetime]]) -> None:
    """One statement per TARGETS_PER_READ targets of the batch (PostgreSQL's bind
    parameter limit): every target's version moves from the one read to the next and its
    cursor is written, or StateConflict (another ingester won one of them)."""
    for chunk in _chunks(rows, TARGETS_PER_READ):
        await _compare_and_set_chunk(chunk)


async def _compare_and_set_chunk(rows: list[tuple[int, int, datetime]]) -> None:
    if not rows:
        return  # nothing applied (only INCONCLUSIVE results): no state moved
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    if postgres:
        ids, versions, cursors = (list(column) for column in zip(*rows, strict=True))
        won, _ = await conn.execute_query(_CAS_UNNEST, [ids, versions, cursors])
        if won != len(rows):
            raise StateConflict(ids)  # rolls the batch back
        return
    params: list[Any] = []
    cursor_cases, version_cases = [], []
    for target_id, _, checked_at in rows:
        params += [target_id, checked_at.astimezone(UTC).isoformat(" ")]
        cursor_cases.append("WHEN ? THEN ?")
    for target_id, version, _ in rows:
        params += [target_id, version]
        version_cases.append("WHEN ? THEN CAST(? AS INTEGER)")
    params += [target_id for target_id, _, _ in rows]
    sql = (
        "UPDATE targets SET state_version = state_version + 1, "  # noqa: S608 (? params only)
        f"state_checked_at = CASE id {' '.join(cursor_cases)} END "
        f"WHERE state_version = CASE id {' '.join(version_cases)} END "
        f"AND id IN ({', '.join('?' for _ in rows)})"
    )
    won, _ = await conn.execute_query(sql, params)
    if won != len(rows):
        raise StateConflict([target_id for target_id, _, _ in rows])  # rolls the batch back


# PostgreSQL: the compare-and-set and the status write join the targets to arrays of
# (id, value): one statement text (prepared once), linear in the targets, where a CASE of
# N branches is tested for each of the N rows (17-23 ms for 250 targets).
_CAS_UNNEST = (
    "UPDATE targets AS t SET state_version = t.state_version + 1, state_checked_at = v.at "
    "FROM unnest($1::int4[], $2::int4[], $3::timestamptz[]) AS v(id, version, at) "
    "WHERE t.id = v.id AND t.state_version = v.version"
)
_STATUS_UNNEST = (
    "UPDATE targets AS t SET status = v.status, status_changed_at = v.at "
    "FROM unnest($1::int4[], $2::text[], $3::timestamptz[]) AS v(id, status, at) "
    "WHERE t.id = v.id"
)


async def _advance(
    target: Target,
    states: dict[str, TargetRegionState],
    results: list[dict[str, Any]],
    configured: list[str],
    writes: _Writes,
) -> tuple[list[StateTransition], list[StateTransition], list[StateTransition]]:
    """Apply a target's new results one by one in check-time order.

    Returns (past, current, withdrawn): transitions recording an outage revealed by late
    results, transitions of the current status (the caller writes the target row), and
    announced transitions withdrawn because the whole instant did not confirm them.
    The region states and the in-order transitions go to `writes` (written once for the
    batch); a replay of late results writes its own as it goes.
    """
    retries = retries_of(target)
    regions = [r for r in (target.regions or configured) if r in configured] or configured
    cursor = target.state_checked_at
    # INCONCLUSIVE: the probe could not judge (overloaded): stored, not evidence either way
    # (only the region's `inconclusive` flag, below).
    ordered = sorted((r for r in results if r["status"] != CheckStatus.INCONCLUSIVE), key=_order)
    blind_since = _blind_regions(results, cursor)
    # A result at the cursor's very time is late too: its place among the results of the
    # same instant (other regions) is by check id, which only a replay can honour.
    late = [r for r in ordered if cursor is not None and _order(r)[0] <= cursor]
    in_order = ordered[len(late) :] if late else ordered
    past: list[StateTransition] = []
    current: list[StateTransition] = []
    withdrawn: list[StateTransition] = []
    changed: dict[str, TargetRegionState] = {}
    if late:
        assert cursor is not None
        past, current, withdrawn = await _replay_late(
            target, states, late, {str(r["check_id"]) for r in in_order}, regions, retries
        )
        changed.update(states)
    for n, r in enumerate(in_order):
        region = str(r["region"])
        at = _dt(r["checked_at"])
        state = states.get(region)
        if state is None:
            state = TargetRegionState(target_id=target.id, region=region, consecutive_failures=0)
            states[region] = state
        before = (state.status, state.consecutive_failures, state.last_error, state.inconclusive)
        apply_to_region(state, str(r["status"]), r.get("error"), retries)
        state.inconclusive = False
        if (
            state.status,
            state.consecutive_failures,
            state.last_error,
            state.inconclusive,
        ) != before or state.last_checked_at is None:
            state.last_checked_at = at
            changed[region] = state
        target.state_checked_at = at
        if n + 1 < len(in_order) and _order(in_order[n + 1])[0] == at:
            continue  # results of one instant (several regions) are judged together
        verdict = overall(target, list(states.values()), regions)
        if verdict is not None and verdict.status != target.status:
            row = _status_change(target, verdict, at or clock.now())
            writes.transitions.append(row)
            current.append(row)
    if blind_since and _mark_blind(target.id, states, blind_since, changed):
        # Another region may now confirm an outage on its own (an UP vote went blind).
        at = max(
            [*blind_since.values(), *([target.state_checked_at] if target.state_checked_at else [])]
        )
        verdict = overall(target, list(states.values()), regions)
        if (
            verdict is not None
            and verdict.status == TargetStatus.DOWN
            and target.status != verdict.status
        ):
            row = _status_change(target, verdict, at)
            writes.transitions.append(row)
            current.append(row)
    for state in changed.values():
        # last_checked_at is written only with a change: in steady state a check costs
        # no region-state write (the target row keeps the cursor).
        (writes.updated if state._saved_in_db else writes.created).append(state)
    return past, current, withdrawn


_STATE_FIELDS = ["status", "consecutive_failures", "last_error", "last_checked_at", "inconclusive"]


def _blind_regions(results: list[dict[str, Any]], cursor: datetime | None) -> dict[str, datetime]:
    """Regions whose newest result of the batch is INCONCLUSIVE and newer than the
    cursor: region -> its checked_at."""
    newest: dict[str, dict[str, Any]] = {}
    for r in results:
        region = str(r["region"])
        if region not in newest or _order(r) > _order(newest[region]):
            newest[region] = r
    blind: dict[str, datetime] = {}
    for region, r in newest.items():
        at = _dt(r["checked_at"])
        if r["status"] == CheckStatus.INCONCLUSIVE and at is not None:
            if cursor is None or at > cursor:
                blind[region] = at
    return blind


def _mark_blind(
    target_id: int,
    states: dict[str, TargetRegionState],
    blind: dict[str, datetime],
    changed: dict[str, TargetRegionState],
) -> bool:
    """Flag the regions of `blind` (a region that never judged gets a state without a
    vote, flagged: it must not count in the quorum either); True when a flag was raised."""
    raised = False
    for region in blind:
        state = states.get(region)
        if state is None:
            state = TargetRegionState(target_id=target_id, region=region, consecutive_failures=0)
            states[region] = state
        if state.inconclusive:
            continue
        state.inconclusive = True
        changed[region] = state
        raised = True
    return raised


@dataclass
class _Writes:
    """A batch's region states and status changes, written with a few statements at its
    end instead of one round trip each: when thousands of targets change at once (the
    first results after a start, a network outage of a region) those round trips were
    the batch's cost on PostgreSQL (3 x ~0.2 ms per target on a quiet machine, several
    times that under load), and they held the whole batch up."""

    created: list[TargetRegionState] = field(default_factory=list)
    updated: list[TargetRegionState] = field(default_factory=list)
    transitions: list[StateTransition] = field(default_factory=list)

    async def flush(self) -> None:
        if self.created:
            await TargetRegionState.bulk_create(self.created, batch_size=TARGETS_PER_READ)
        if self.updated:
            await TargetRegionState.bulk_update(
                self.updated, _STATE_FIELDS, batch_size=TARGETS_PER_READ
            )
        if self.transitions:
            await StateTransition.bulk_create(self.transitions, batch_size=TARGETS_PER_READ)


async def _write_statuses(targets: list[Target], *, postgres: bool) -> None:
    """The status and status_changed_at of the targets a batch moved: one statement
    (SQLite: one per TARGETS_PER_READ targets, its parameter limit)."""
    if not targets:
        return
    conn = connections.get("default")
    if postgres:
        ids, statuses = [t.id for t in targets], [str(t.status) for t in targets]
        await conn.execute_query(
            _STATUS_UNNEST, [ids, statuses, [t.status_changed_at for t in targets]]
        )
        return
    changed_at = Target._meta.fields_map["status_changed_at"]
    for chunk in _chunks(targets, TARGETS_PER_READ):
        params: list[Any] = []
        for target in chunk:
            params += [target.id, str(target.status)]
        for target in chunk:
            params += [target.id, changed_at.to_db_value(target.status_changed_at, Target)]
        params += [target.id for target in chunk]
        cases = " ".join("WHEN ? THEN ?" for _ in chunk)
        sql = (
            f"UPDATE targets SET status = CASE id {cases} END, "  # noqa: S608 (? params only)
            f"status_changed_at = CASE id {cases} END "
            f"WHERE id IN ({', '.join('?' for _ in chunk)})"
        )
        await conn.execute_query(sql, params)


@dataclass
class _Segment:
    at: datetime
    status: TargetStatus
    verdict: Verdict | None = None
    transition: StateTransition | None = None
    baseline: bool = False  # the state before the replay's first result (began earlier)


async def _replay_late(
    target: Target,
    states: dict[str, TargetRegionState],
    late: list[dict[str, Any]],
    skip: set[str],
    regions: list[str],
    retries: int,
) -> tuple[list[StateTransition], list[StateTransition], list[StateTransition]]:
    """Replay the target's results from the oldest late one to the cursor (the rule is
    in the module docstring). Leaves `states` as the replay ends; returns (past, current,
    withdrawn)."""
    t0 = _dt(late[0]["checked_at"])
    cursor = target.state_checked_at
    assert t0 is not None and cursor is not None
    # 1. Each region's state just before t0, rebuilt from its last result that was not
    #    DOWN and the run of DOWN results after it (their count and latest error).
    names = sorted(set(states) | {str(r["region"]) for r in late})
    replay: dict[str, TargetRegionState] = {}
    for region in names:
        earlier = CheckResult.filter(target_id=target.id, region=region, checked_at__lt=t0).exclude(
            status=CheckStatus.INCONCLUSIVE
        )
        good = (
            await earlier.exclude(status=CheckStatus.DOWN)
            .order_by("-checked_at", "-check_id")
            .first()
            .values("status", "error", "checked_at")
        )
        downs = earlier.filter(status=CheckStatus.DOWN)
        if good is not None:
            downs = downs.filter(checked_at__gt=good["checked_at"])
        state = TargetRegionState(target_id=target.id, region=region, consecutive_failures=0)
        if good is not None:
            apply_to_region(state, str(good["status"]), good["error"], retries)
        failures = await downs.count()
        if failures:
            newest = await downs.order_by("-checked_at", "-check_id").first().values("error")
            error = str(newest["error"]) if newest and newest["error"] is not None else None
            apply_to_region(state, CheckStatus.DOWN, error, retries)
            state.consecutive_failures = failures
            if failures >= retries:
                state.status = CheckStatus.DOWN
        replay[region] = state
    # 2. The true timeline from t0 to the cursor, one result at a time.
    window = (
        await CheckResult.filter(target_id=target.id, checked_at__gte=t0, checked_at__lte=cursor)
        .exclude(check_id__in=list(skip) or ["-"])
        .exclude(status=CheckStatus.INCONCLUSIVE)
        .order_by("checked_at", "check_id")
        .values("region", "status", "error", "checked_at")
    )
    start = overall(target, list(replay.values()), regions)
    truth = [_Segment(t0, start.status, start, baseline=True)] if start else []
    for n, row in enumerate(window):
        if row["region"] not in replay:
            replay[row["region"]] = TargetRegionState(
                target_id=target.id, region=row["region"], consecutive_failures=0
            )
        apply_to_region(replay[row["region"]], str(row["status"]), row["error"], retries)
        if n + 1 < len(window) and window[n + 1]["checked_at"] == row["checked_at"]:
            continue
        verdict = overall(target, list(replay.values()), regions)
        if verdict is not None and (not truth or truth[-1].status != verdict.status):
            truth.append(_Segment(row["checked_at"], verdict.status, verdict))
    # 2b. The same-instant rule: a transition announced from part of an instant that the
    #     whole instant does not confirm is withdrawn, if alerting has not claimed it.
    withdrawn = await _withdraw_unconfirmed(
        target, truth, {at for r in late if (at := _dt(r["checked_at"])) is not None}
    )
    # 3. What was announced: the transitions from the last one before t0 on.
    previous = (
        await StateTransition.filter(target_id=target.id, at__lt=t0).order_by("-at", "-id").first()
    )
    later = await StateTransition.filter(target_id=target.id, at__gte=t0).order_by("at", "id")
    announced = [
        _Segment(row.at, TargetStatus(row.to_status), transition=row)
        for row in ([previous] if previous else []) + list(later)
    ]

    def announced_status(at: datetime) -> TargetStatus:
        # Before the first transition: its from_status (none yet: the status never changed).
        status = TargetStatus(later[0].from_status) if later and not previous else target.status
        for seg in announced:
            if seg.at <= at:
                status = seg.status
        return status

    def announced_down(a: datetime, b: datetime | None) -> int | None:
        """The index of the announced DOWN segment overlapping [a, b), if any."""
        for i, seg in enumerate(announced):
            end = announced[i + 1].at if i + 1 < len(announced) else None
            if (
                seg.status == TargetStatus.DOWN
                and (b is None or seg.at < b)
                and (end is None or end > a)
            ):
                return i
        return None

    # 4. Every true outage that closed before the cursor and was never announced is
    #    recorded now at its true times. An announced outage keeps its identity (never
    #    split nor removed) but its edges move to the true first DOWN and last recovery.
    past: list[StateTransition] = []
    edges: dict[int, tuple[_Segment, _Segment | None]] = {}
    for i, seg in enumerate(truth):
        if seg.status != TargetStatus.DOWN:
            continue
        end = truth[i + 1] if i + 1 < len(truth) else None
        # A DOWN already true before t0 (the baseline) overlaps what was announced then.
        began = seg.at - timedelta(microseconds=1) if seg.baseline else seg.at
        known = announced_down(began, end.at if end else None)
        if known is not None:
            first, last = edges.get(known, (seg, end))
            edges[known] = (
                first if first.at <= seg.at else seg,
                None if end is None or last is None else (last if last.at >= end.at else end),
            )
        elif end is not None and end.at > seg.at:
            assert seg.verdict is not None and end.verdict is not None
            past.append(await record(target, announced_status(seg.at), seg.verdict, seg.at))
            past.append(await record(target, TargetStatus.DOWN, end.verdict, end.at))
            if target.status_changed_at is None or end.at > target.status_changed_at:
                target.status_changed_at = end.at  # the status now holds since that recovery
    for known, (first, last) in edges.items():
        opened = announced[known].transition
        if opened is not None and not first.baseline and first.at <= opened.at:
            await _move_outage_edge(target, opened, first, start=True)
        closed = announced[known + 1].transition if known + 1 < len(announced) else None
        began = min(first.at, opened.at) if opened is not None else first.at
        if closed is not None and last is not None and began < last.at <= closed.at:
            await _move_outage_edge(target, closed, last, start=False)
    # 5. The replayed states are the states now; the current status follows them.
    for region, state in replay.items():
        saved = states.get(region)
        if saved is None:
            state.last_checked_at = cursor
            states[region] = state
        else:
            saved.status, saved.consecutive_failures = state.status, state.consecutive_failures
            saved.last_error = state.last_error
    current: list[StateTransition] = []
    final = overall(target, list(states.values()), regions)
    if truth and final is not None and final.status != target.status:
        # Late results changed the current status (e.g. they complete a run of retries):
        # the change is dated no earlier than the last one announced.
        latest = max([seg.at for seg in announced] + [truth[-1].at])
        current.append(await transition(target, final, at=latest, write_target=False))
    return past, current, withdrawn


def _truth_at(truth: list[_Segment], at: datetime) -> TargetStatus | None:
    """The replayed status once every result of the instant `at` is applied."""
    status = None
    for seg in truth:
        if seg.at <= at:
            status = seg.status
    return status


async def _withdraw_unconfirmed(
    target: Target, truth: list[_Segment], instants: set[datetime]
) -> list[StateTransition]:
    """Withdraw the target's latest transitions that were announced at an instant whose
    late results now arrived, when the whole instant does not lead to their status.

    Only while alerting has not claimed them: the DELETE is conditional on `claimed_at
    IS NULL`, the very condition of alerting's claim (api/incidents/service.py), so of
    the two racing statements exactly one wins. A claimed transition is kept (alerting
    may have opened an incident and notified): the replay then changes the status back
    at the same instant and the normal recovery resolves that incident. The target's
    status and status_changed_at go back to what they were before the transition.
    """
    withdrawn: list[StateTransition] = []
    while True:
        tail = await StateTransition.filter(target_id=target.id).order_by("-at", "-id").first()
        if tail is None or tail.claimed_at is not None or tail.at not in instants:
            break
        if _truth_at(truth, tail.at) == tail.to_status:
            break  # confirmed by the whole instant
        gone = await StateTransition.filter(id=tail.id, claimed_at__isnull=True).delete()
        if gone != 1:
            break  # alerting claimed it meanwhile: kept (see above)
        before = await StateTransition.filter(target_id=target.id).order_by("-at", "-id").first()
        target.status = TargetStatus(tail.from_status)
        target.status_changed_at = before.at if before is not None else None
        log.info(
            "target_status_withdrawn",
            target_id=target.id,
            from_status=str(tail.from_status),
            to_status=str(tail.to_status),
            at=tail.at.isoformat(),
        )
        withdrawn.append(tail)
    return withdrawn


async def _move_outage_edge(
    target: Target, row: StateTransition, true: _Segment, *, start: bool
) -> None:
    """Late results show an announced outage began earlier (start) or ended earlier (or
    at the same time, seen from other regions): move that transition, and its incident's
    start or end, to the true time and regions."""
    assert true.verdict is not None
    old, at = row.at, true.at
    regions, cause = true.verdict.regions, true.verdict.cause
    if (old, row.regions, row.cause) == (at, regions, cause):
        return
    await StateTransition.filter(id=row.id).update(at=at, regions=regions, cause=cause)
    if start:
        await Incident.filter(target_id=target.id, started_at=old).update(
            started_at=at, regions=regions, cause=(cause or "unknown error")[:2000]
        )
    else:
        await Incident.filter(target_id=target.id, resolved_at=old).update(resolved_at=at)
    if target.status_changed_at == old:
        target.status_changed_at = at
    row.at, row.regions, row.cause = at, regions, cause


async def record(
    target: Target, previous: TargetStatus, verdict: Verdict, at: datetime
) -> StateTransition:
    """A transition of the past (the target's current status is not changed)."""
    row = _transition_row(target, previous, verdict, at)
    await row.save()
    log.info(
        "target_status_recorded_late",
        target_id=target.id,
        from_status=str(previous),
        to_status=str(verdict.status),
        at=at.isoformat(),
    )
    return row


async def transition(
    target: Target,
    verdict: Verdict,
    *,
    at: datetime | None = None,
    write_target: bool = True,
) -> StateTransition:
    """Record a change of the overall status at `at` (default now; the caller holds the
    transaction). With write_target=False the caller writes the target row (ingest's
    compare-and-set); otherwise its state_version is bumped so a racing ingest retries."""
    when = at or clock.now()
    row = _status_change(target, verdict, when)
    if write_target:
        await Target.filter(id=target.id).update(
            status=verdict.status, status_changed_at=when, state_version=F("state_version") + 1
        )
    await row.save()
    return row


def _status_change(target: Target, verdict: Verdict, when: datetime) -> StateTransition:
    """Move the target object to the verdict's status; the transition row, not saved."""
    previous = target.status
    target.status = verdict.status
    target.status_changed_at = when
    log.info(
        "target_status_changed",
        target_id=target.id,
        from_status=str(previous),
        to_status=str(verdict.status),
        regions=verdict.regions,
    )
    return _transition_row(target, previous, verdict, when)


def _transition_row(
    target: Target, previous: TargetStatus, verdict: Verdict, at: datetime
) -> StateTransition:
    return StateTransition(
        target_id=target.id,
        from_status=previous,
        to_status=verdict.status,
        at=at,
        regions=verdict.regions,
        cause=verdict.cause,
    )


def result_payload(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


async def _publish(resources: Any, report: IngestReport) -> None:
    """One pipeline for every event of the batch (same shape as api.events.publish)."""
    targets, kept = report.targets, report.kept
    ids = report.ids  # from the INSERT's RETURNING
    pipe = resources.redis.pipeline(transaction=False)
    channel = events_channel(resources.redis)
    for r in sorted(kept, key=_order):
        target = targets[int(r["target_id"])]
        payload = {
            "id": ids.get(str(r["check_id"])),
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
    for row in report.current:
        target = targets[row.target_id]
        event = {
            "type": "target_status",
            "workspaceId": target.workspace_id,
            "targetId": target.id,
            "status": str(row.to_status.value),
            "statusChangedAt": row.at.isoformat(),
        }
        pipe.incr(changes_key(target.workspace_id))  # before the event: api.events
        pipe.publish(channel, json.dumps(event, default=str))
    # A withdrawn transition was announced to subscribers: tell them the status it went
    # back to, unless a current transition of this batch already told the final status.
    told = {row.target_id for row in report.current}
    for target_id in dict.fromkeys(row.target_id for row in report.withdrawn):
        if target_id in told:
            continue
        target = targets[target_id]
        changed_at = target.status_changed_at
        event = {
            "type": "target_status",
            "workspaceId": target.workspace_id,
            "targetId": target.id,
            "status": str(target.status.value),
            "statusChangedAt": changed_at.isoformat() if changed_at else None,
            "withdrawn": True,
        }
        pipe.incr(changes_key(target.workspace_id))
        pipe.publish(channel, json.dumps(event, default=str))
    await pipe.execute()
