"""What an ingest batch costs the database: a bounded number of statements however many
targets change, and a duplicate lookup that probes the check id index (PostgreSQL)
whatever the planner's statistics; a re-run result (same check, later time) is still a
duplicate."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from tortoise import connections

from api.core import clock
from api.targets.models import CheckResult, StateTransition, Target, TargetRegionState
from api.targets.state import _STORED_SQL, ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements tortoise sends meanwhile (its debug log, one line each)."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(str(record.args[0] if record.args else record.msg))

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Collect(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_many_targets_changing_at_once_cost_a_few_statements(settings, resources) -> None:
    # Given 300 targets with no result yet (PENDING)
    account = await create_account(settings)
    targets = [
        await create_target(account.workspace, name=f"t{i}", regions=["eu-west"])
        for i in range(300)
    ]
    base = clock.now() - timedelta(minutes=1)
    results = [probe_result(t, "eu-west", due_ms=1, at=base) for t in targets]
    # When their first results arrive in one batch (each target PENDING -> UP)
    with statements() as sent:
        report = await ingest_results(resources, results, publish=False)
    # Then every change is stored, with a number of statements that does not grow with
    # the targets (it was 3 per target: region state, transition, target row)
    assert report.stored == 300 and len(report.current) == 300
    assert await Target.filter(status="UP").count() == 300
    assert await StateTransition.filter(from_status="PENDING", to_status="UP").count() == 300
    assert await TargetRegionState.filter(status="UP", consecutive_failures=0).count() == 300
    changed = {t.id: t.status_changed_at for t in await Target.all()}
    assert set(changed.values()) == {base}
    writes = [s for s in sent if not s.lstrip().upper().startswith(("SELECT", "BEGIN", "COMMIT"))]
    assert any("INTO check_results" in s for s in writes), sent  # the log is seen
    assert len(writes) <= 10, writes
    # And a second batch where they all fail moves them again at the same cost
    later = base + timedelta(seconds=10)
    downs = [probe_result(t, "eu-west", "DOWN", due_ms=2, at=later, error="E") for t in targets]
    with statements() as sent:
        report = await ingest_results(resources, downs, publish=False)
    assert len(report.current) == 300
    assert await Target.filter(status="DOWN", status_changed_at=later).count() == 300
    assert await TargetRegionState.filter(status="DOWN", consecutive_failures=1).count() == 300
    writes = [s for s in sent if not s.lstrip().upper().startswith(("SELECT", "BEGIN", "COMMIT"))]
    assert len(writes) <= 10, writes


async def test_a_rerun_result_of_a_stored_check_is_a_duplicate(settings, resources) -> None:
    """A probe that died mid-batch runs the batch again: the same check id comes back with
    a later checked_at, which the (check_id, checked_at) key alone would not refuse."""
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=["eu-west"])
    first = probe_result(target, "eu-west", due_ms=7, at=clock.now() - timedelta(seconds=30))
    rerun = {**first, "checked_at": (clock.now() - timedelta(seconds=5)).isoformat()}
    assert (await ingest_results(resources, [first], publish=False)).stored == 1
    report = await ingest_results(resources, [rerun], publish=False)
    assert (report.stored, report.duplicates) == (0, 1)
    assert await CheckResult.filter(check_id=first["check_id"]).count() == 1


async def test_the_duplicate_lookup_probes_the_check_id_index(settings, resources) -> None:
    """On a table PostgreSQL has not analysed yet (a new database, each new day's
    partition), `check_id IN (...) AND checked_at BETWEEN ...` was planned as a scan of
    every row of the range; the lookup must probe the (check_id, checked_at) index."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        pytest.skip("PostgreSQL planner")
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=["eu-west"])
    base = clock.now() - timedelta(hours=1)
    stored = [
        probe_result(target, "eu-west", due_ms=n, at=base + timedelta(milliseconds=n))
        for n in range(3000)
    ]
    await ingest_results(resources, stored, publish=False)
    wanted = [r["check_id"] for r in stored[-250:]]
    sql = _STORED_SQL.format(range=" AND c.checked_at >= $2 AND c.checked_at <= $3")
    params = [wanted, base - timedelta(days=1), base + timedelta(days=1)]
    rows = await conn.execute_query_dict(sql, params)
    assert {r["check_id"] for r in rows} == set(wanted)
    plan = await conn.execute_query_dict(f"EXPLAIN (FORMAT JSON) {sql}", params)
    scans: list[tuple[str, str]] = []

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            scans.append((node["Node Type"], node.get("Index Name", "")))
        for child in node.get("Plans", []):
            walk(child)

    raw = plan[0]["QUERY PLAN"]
    walk((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])
    assert scans, plan
    for node_type, index in scans:
        assert node_type in ("Index Scan", "Index Only Scan"), scans
        assert "check_id" in index, scans
