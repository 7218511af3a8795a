"""Bench: retention of raw check results by row deletion vs by dropping partitions, on
PostgreSQL, and the cost of the newest-result queries on a plain vs partitioned table.

Each case seeds a fresh database (server-side generate_series) with ROWS results of 50
targets x 3 regions over 10 days, 45 days ago, in a free workspace (30 days of raw
results) and, for the "10% kept" cases, 5 of the 50 targets in a business workspace (a
year). Then `run_retention` (the daily job's code) runs: on the plain table it deletes
rows in batches; on the partitioned table it drops the daily partitions (rebuilding them
with the kept rows). Printed: seconds, rows removed per second, WAL bytes written
(pg_current_wal_lsn before/after: cluster-wide, so other activity on the server adds
noise), and the ratio against row deletion in the same run.

Then 60 days of recent results (one per target and region every 30 minutes) are added to
a plain and a partitioned database, and the newest result of 50 targets (the dashboard's
`lastResult`, `latest_results`) and the metrics' newest result per region are timed,
each with the unbounded query used before (baseline) and the bounded one used now.

    HITFLOW_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_retention \\
        python bench/retention.py        # ROWS=1000000 by default (HITFLOW_BENCH_ROWS)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections

from api.core import clock
from api.db import tortoise_config
from api.metrics.service import _latest_per_region
from api.privacy.retention import run_retention
from api.results import partitions
from api.results.service import _COLUMNS, latest_results
from api.results.sql import fetch
from api.settings import Settings
from api.targets.models import CheckResult

TARGETS = 50
REGIONS = ["eu-west", "us-east", "ap-south"]
KEY = "q2F0m1pDm7Qh1i2Wm9Z8s7X6c5V4b3N2m1L0k9J8h7g"
RUNS = 15

# The queries as they were before partitioning (unbounded by checked_at).
OLD_LATEST = (
    f"SELECT {_COLUMNS} FROM check_results WHERE id IN ("
    "SELECT (SELECT r.id FROM check_results r WHERE r.target_id = t.id "
    "ORDER BY r.checked_at DESC, r.id DESC LIMIT 1) FROM targets t WHERE t.id IN ({ids}))"
)
OLD_METRICS = (
    "SELECT target_id, region, certificate_expires_at FROM check_results "
    "WHERE id IN (SELECT MAX(id) FROM check_results WHERE target_id IN ({ids}) "
    "GROUP BY target_id, region)"
)


async def recreate(url: str) -> None:
    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://") + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def open_db(url: str, partitioned: bool, first_day: Any) -> None:
    await recreate(url)
    await Tortoise.init(config=tortoise_config(url))
    await Tortoise.generate_schemas()
    if partitioned:
        conn = connections.get("default")
        # Converted before the rows exist: the legacy partition ends at first_day.
        await partitions.partition_check_results(conn, now=first_day - timedelta(days=1))


async def targets(kept_share: bool) -> list[int]:
    from api.targets.models import Target
    from api.workspaces.models import Workspace

    free = await Workspace.create(name="free", plan="free")
    business = await Workspace.create(name="business", plan="business")
    ids = []
    for n in range(TARGETS):
        ws = business if kept_share and n < TARGETS // 10 else free
        target = await Target.create(workspace=ws, name=f"t{n:02}", kind="HTTP", regions=REGIONS)
        ids.append(target.id)
    return ids


async def insert(ids: list[int], start: Any, seconds: float, rows: int, tag: str) -> None:
    """`rows` results spread evenly over `seconds` from `start`, round-robin on targets
    and regions."""
    step = seconds / rows
    await connections.get("default").execute_script(
        "INSERT INTO check_results (check_id, target_id, region, checked_at, status, "
        "response_time_ms, in_maintenance) "
        f"SELECT '{tag}' || g, (ARRAY[{','.join(map(str, ids))}])[1 + g % {len(ids)}], "
        f"(ARRAY[{','.join(repr(r) for r in REGIONS)}])[1 + (g / {len(ids)}) % 3], "
        f"'{start.isoformat()}'::timestamptz + (g * {step}) * interval '1 second', "
        "'UP', 100 + g % 50, false FROM generate_series(0, "
        f"{rows - 1}) g"
    )
    await connections.get("default").execute_script("ANALYZE check_results")


async def wal() -> int:
    rows = await fetch("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn AS b")
    return int(rows[0]["b"])


async def retention_case(url: str, partitioned: bool, kept_share: bool, rows: int) -> dict:
    now = clock.now()
    first_day = partitions.span_start(now - timedelta(days=45), 1)
    await open_db(url, partitioned, first_day)
    try:
        ids = await targets(kept_share)
        if partitioned:
            await partitions.ensure_partitions(first_day, 1, 10)
        await insert(ids, first_day, 10 * 86400, rows, "o")
        await connections.get("default").execute_script("CHECKPOINT")
        settings = Settings(database_url=url, secret_keys=[KEY], data_dir=Path(tempfile.mkdtemp()))
        before, t0 = await wal(), time.perf_counter()
        result = await run_retention(settings)
        seconds = time.perf_counter() - t0
        written = await wal() - before
        left = (await fetch("SELECT COUNT(*) AS n FROM check_results"))[0]["n"]
        return {
            "seconds": seconds,
            "removed": result.get("CheckResult", 0),
            "left": int(left),
            "wal": written,
        }
    finally:
        await Tortoise.close_connections()


async def steady_state(url: str, span: int) -> tuple[int, int]:
    """Share of expired rows leaving by DROP in steady state: 60 days of results (free
    plan, 30 days), then the daily job at 02:10 on 15 successive days (the first one, clearing the
    backlog, not counted), partitions of
    `span` days made ahead as the hourly cron does. Returns (rows dropped, rows deleted)."""
    from api.privacy import graph
    from api.privacy.retention import RULES, _drop_expired_partitions, expiry_conditions

    start = partitions.span_start(clock.now() - timedelta(days=60), 7)
    await open_db(url, True, start)
    try:
        ids = await targets(False)
        await partitions.ensure_partitions(start, span, 63 // span + 1)
        await insert(ids, start, 60 * 86400, 60 * 4000, "s")
        settings = Settings(
            database_url=url,
            secret_keys=[KEY],
            data_dir=Path(tempfile.mkdtemp()),
            results_partition_days=span,
        )
        model = graph.models()["CheckResult"]
        rule = next(r for r in RULES if r.model == "CheckResult")
        dropped = deleted = 0
        clock.advance((start + timedelta(days=45, hours=2, minutes=10)) - clock.now())
        await run_retention(settings)  # the backlog of the first run is not steady state
        clock.advance(timedelta(days=1))
        for _ in range(14):
            now = clock.now()
            conditions = expiry_conditions(settings, model, rule, [], {"free"}, now)
            dropped += (await _drop_expired_partitions(settings, model, conditions, {"free"}, now))[
                0
            ]
            deleted += (await run_retention(settings)).get("CheckResult", 0)
            clock.advance(timedelta(days=1))
        return dropped, deleted
    finally:
        clock.reset()
        await Tortoise.close_connections()


async def timed(call: Any) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


async def query_case(url: str, partitioned: bool) -> dict[str, float]:
    now = clock.now()
    first_day = partitions.span_start(now - timedelta(days=60), 1)
    await open_db(url, partitioned, first_day)
    try:
        ids = await targets(False)
        if partitioned:
            await partitions.ensure_partitions(first_day, 1, 62)
        per_day = TARGETS * len(REGIONS) * 48  # every 30 minutes
        await insert(ids, first_day, (now - first_day).total_seconds(), per_day * 60, "r")
        in_list = ",".join(map(str, ids))
        expected = {i: set(REGIONS) for i in ids}
        new_latest = await latest_results(ids)
        old_latest = await CheckResult.raw(OLD_LATEST.format(ids=in_list))
        assert {r.id for r in new_latest if r} == {r.id for r in old_latest}
        return {
            "partitions": len(await partitions.list_partitions()) if partitioned else 0,
            "latest_old_ms": await timed(lambda: CheckResult.raw(OLD_LATEST.format(ids=in_list))),
            "latest_new_ms": await timed(lambda: latest_results(ids)),
            "metrics_old_ms": await timed(lambda: fetch(OLD_METRICS.format(ids=in_list))),
            "metrics_new_ms": await timed(lambda: _latest_per_region(ids, expected)),
        }
    finally:
        await Tortoise.close_connections()


async def main() -> None:
    url = os.environ.get(
        "HITFLOW_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_retention"
    )
    if not url.startswith("postgres"):
        raise SystemExit("bench/retention.py measures PostgreSQL: set HITFLOW_BENCH_DATABASE_URL")
    rows = int(os.environ.get("HITFLOW_BENCH_ROWS", "1000000"))
    print(f"load average: {os.getloadavg()}")
    only = os.environ.get("HITFLOW_BENCH_ONLY", "retention,queries,steady").split(",")
    for kept in (False, True) if "retention" in only else ():
        label = "10% kept" if kept else "nothing kept"
        plain = await retention_case(url, False, kept, rows)
        part = await retention_case(url, True, kept, rows)
        for name, r in (("row deletion", plain), ("partition drop", part)):
            print(
                f"{label:13} {name:15} {r['seconds']:8.2f} s  removed {r['removed']:>8}  "
                f"left {r['left']:>7}  {r['removed'] / r['seconds']:>10.0f} rows/s  "
                f"WAL {r['wal'] / 1e6:8.1f} MB"
            )
        print(
            f"{label:13} partition drop vs row deletion: "
            f"{plain['seconds'] / part['seconds']:.1f}x faster, "
            f"WAL {part['wal'] / max(plain['wal'], 1):.3f}x"
        )
    print(f"load average: {os.getloadavg()}")
    for partitioned in (False, True) if "queries" in only else ():
        q = await query_case(url, partitioned)
        kind = f"partitioned ({q['partitions']} partitions)" if partitioned else "plain table"
        print(
            f"{kind:28} latest_results: unbounded {q['latest_old_ms']:7.2f} ms, "
            f"bounded {q['latest_new_ms']:6.2f} ms | metrics newest per region: "
            f"unbounded {q['metrics_old_ms']:7.2f} ms, bounded {q['metrics_new_ms']:6.2f} ms"
        )
    print(f"load average: {os.getloadavg()}")
    for span in (1, 7) if "steady" in only else ():
        dropped, deleted = await steady_state(url, span)
        print(
            f"steady state, {span}-day partitions: {dropped} rows dropped with their partition, "
            f"{deleted} deleted row by row: {dropped / max(dropped + deleted, 1):.0%} by DROP"
        )
    print(f"load average: {os.getloadavg()}")
    await recreate(url)


if __name__ == "__main__":
    asyncio.run(main())
