"""Bench: a one-year SLA report of 100 targets x 3 regions, on PostgreSQL.

Seeds a year of hourly rollups (2.6 M rows) and their daily rollups server-side
(generate_series), then the monthly rollups (the rollup job's function), with rare outages (all regions) and rarer single-region failures,
plus one maintenance window per target; then times the report (the service the
slaReport query calls) and, as the baseline, the existing per-target statistics
(`target_stats`, what a client would call 100 times without the report).

    HITFLOW_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sla python bench/sla.py

The database is dropped and re-created (HITFLOW_BENCH_REUSE=1: keep the previous run's;
monthly rollups are added if it has none). HITFLOW_BENCH_JIT=1 also times each
report and the baseline with PostgreSQL's JIT on (the server default; the application
turns it off). With HITFLOW_BENCH_BEFORE=<git rev> (default
`sla`, empty to skip) the report is also timed, in the same run and on the same rows,
with api/results/report_data.py as it was at that revision ("before"), and both
reports must give the same figures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from api.core import clock
from api.db import tortoise_config
from api.results import buckets, report_data
from api.results.report_range import local_midnight
from api.results.reports import build_report
from api.results.rollups import floor_day, floor_hour, floor_month, next_month, rollup_month
from api.results.sql import FAILING_HOURS_INDEX
from api.results.stats import target_stats

REGIONS = ["eu-west", "us-east", "ap-south"]
TARGETS = 100
RUNS = 7


def histogram(scale: int) -> str:
    hist: dict[int, int] = {}
    for i in range(60):
        ms = 40 + (i * 7 % 90) * (1 + scale / 4)
        hist[buckets.bucket_of(ms)] = hist.get(buckets.bucket_of(ms), 0) + 1
    return json.dumps(buckets.dump(hist))


async def recreate(url: str) -> None:
    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(base + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def seed() -> list[int]:
    from api.maintenance.models import MaintenanceWindow
    from api.targets.models import Target
    from api.workspaces.models import Workspace

    ws = await Workspace.create(name="bench")
    ids = []
    now = clock.now()
    for n in range(TARGETS):
        # Created before its year of rollups (a report counts a target from its creation).
        target = await Target.create(
            workspace=ws,
            name=f"t{n:03}",
            kind="HTTP",
            regions=REGIONS,
            created_at=floor_hour(now) - timedelta(days=400),
        )
        ids.append(target.id)
        start = floor_hour(now) - timedelta(days=40 + n)
        await MaintenanceWindow.create(
            workspace=ws,
            target=target,
            name="m",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )
    last_hour = floor_hour(now)
    first_hour = last_hour - timedelta(days=366)
    conn = connections.get("default")
    hists = [histogram(s).replace("'", "''") for s in range(4)]
    hist_case = " ".join(f"WHEN {i} THEN '{h}'" for i, h in enumerate(hists))
    await conn.execute_script(
        "INSERT INTO result_rollups (target_id, region, span, hour, checks, failures, sum_ms, "
        "timed_checks, histogram, day_mask) "
        "SELECT t, r, 'h', h, 60, "
        # ~1 outage hour in 500 on all regions; ~1 in 2000 on one region only.
        "CASE WHEN abs(hashtext(t::text || h::text)) % 500 = 0 THEN 10 "
        "WHEN abs(hashtext(r || t::text || h::text)) % 2000 = 0 THEN 3 ELSE 0 END, "
        f"6000.0, 60, (CASE t % 4 {hist_case} END)::jsonb, 0 "
        f"FROM unnest(ARRAY[{','.join(map(str, ids))}]) t, "
        f"unnest(ARRAY[{','.join(repr(r) for r in REGIONS)}]) r, "
        f"generate_series('{first_hour.isoformat()}'::timestamptz, "
        f"'{(last_hour - timedelta(hours=1)).isoformat()}'::timestamptz, interval '1 hour') h"
    )
    await conn.execute_script(
        "INSERT INTO result_rollups (target_id, region, span, hour, checks, failures, sum_ms, "
        "timed_checks, histogram, day_mask) "
        "SELECT target_id, region, 'd', date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "
        "SUM(checks), SUM(failures), SUM(sum_ms), SUM(timed_checks), "
        f"(CASE target_id % 4 {hist_case.replace('WHEN', 'WHEN').replace(chr(39) + '{', chr(39) + '{')} END)::jsonb, 0 "
        "FROM result_rollups WHERE span = 'h' "
        f"AND hour < '{floor_day(last_hour).isoformat()}'::timestamptz "
        "GROUP BY target_id, region, date_trunc('day', hour AT TIME ZONE 'UTC')"
    )
    # The partial index migration 0004 creates (generate_schemas does not run migrations),
    # then a vacuum as autovacuum would do, so its index-only scans see a visibility map.
    await conn.execute_script(FAILING_HOURS_INDEX)
    await roll_months()
    return ids


async def roll_months() -> None:
    """The monthly rollups of every complete month (from the daily rows, by the rollup
    job's own function), then a vacuum as autovacuum would do, so that index-only scans
    see a visibility map."""
    conn = connections.get("default")
    # A database seeded before monthly rollups existed (HITFLOW_BENCH_REUSE=1).
    await conn.execute_script(
        "ALTER TABLE result_rollups ADD COLUMN IF NOT EXISTS day_mask INT NOT NULL DEFAULT 0"
    )
    rows = await conn.execute_query_dict(
        "SELECT MIN(hour) AS a, MAX(hour) AS b, "
        "(SELECT COUNT(*) FROM result_rollups WHERE span = 'm') AS n "
        "FROM result_rollups WHERE span = 'd'"
    )
    if rows[0]["n"] == 0 and rows[0]["a"] is not None:
        month, end = floor_month(rows[0]["a"]), rows[0]["b"] + timedelta(days=1)
        while next_month(month) <= end:
            await rollup_month(None, month)
            month = next_month(month)
    await conn.execute_script("VACUUM ANALYZE result_rollups")


class StatementCount(logging.Handler):
    """Counts the statements Tortoise sends (it logs each one to tortoise.db_client)."""

    n = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.n += 1


def loader_at(rev: str) -> object:
    """`report_data.load` as it was at git revision `rev` (for a before/after bench)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:api/results/report_data.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout
    module = types.ModuleType(f"report_data_before_{rev}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:api/results/report_data.py", "exec"), module.__dict__)
    return module.load


async def main() -> None:
    url = os.environ.get(
        "HITFLOW_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_sla"
    )
    if not url.startswith("postgres"):
        raise SystemExit("bench/sla.py measures PostgreSQL: set HITFLOW_BENCH_DATABASE_URL")
    reuse = os.environ.get("HITFLOW_BENCH_REUSE") == "1"  # the rows of the previous run
    if not reuse:
        await recreate(url)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    if not reuse:
        await Tortoise.generate_schemas()
    try:
        t0 = time.perf_counter()
        if reuse:
            from api.targets.models import Target

            ids = [t.id for t in await Target.all().order_by("id")]
            await roll_months()
        else:
            ids = await seed()
        rows = (
            await connections.get("default").execute_query_dict(
                "SELECT COUNT(*) AS n FROM result_rollups"
            )
        )[0]["n"]
        print(
            f"seeded {rows:,} rollup rows ({TARGETS} targets x 3 regions, a year) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        from api.results.report_range import ReportRange

        today = clock.now().date()
        first = today - timedelta(days=365)
        period = ReportRange(
            "UTC",
            first,
            today - timedelta(days=1),
            local_midnight(first, __import__("zoneinfo").ZoneInfo("UTC")),
            local_midnight(today, __import__("zoneinfo").ZoneInfo("UTC")),
        )
        workspace_id = (
            await __import__("api.targets.models", fromlist=["Target"]).Target.get(id=ids[0])
        ).workspace_id

        async def report() -> object:
            return await build_report(
                workspace_id=workspace_id,
                target_ids=ids,
                period=period,
                objective=99.9,
                exclude_maintenance=True,
                configured_regions=REGIONS,
            )

        statements = StatementCount()
        db_log = logging.getLogger("tortoise.db_client")
        db_log.addHandler(statements)
        db_log.setLevel(logging.DEBUG)
        counts = []
        for n in (2, 20, TARGETS):
            statements.n = 0
            await build_report(
                workspace_id=workspace_id,
                target_ids=ids[:n],
                period=period,
                objective=99.9,
                exclude_maintenance=True,
                configured_regions=REGIONS,
            )
            counts.append(f"{n} targets: {statements.n}")
        db_log.removeHandler(statements)
        db_log.setLevel(logging.WARNING)
        print(f"SQL statements per report: {', '.join(counts)}")

        current_load = report_data.load
        before_rev = os.environ.get("HITFLOW_BENCH_BEFORE", "main")
        before_load = loader_at(before_rev) if before_rev else None

        async def report_before() -> object:
            report_data.load = before_load  # type: ignore[assignment]
            try:
                return await report()
            finally:
                report_data.load = current_load

        async def baseline() -> object:
            for tid in ids:
                await target_stats(tid, period.since, period.until)
            return None

        def jit_on(fn: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
            # The application's connections run with jit = off (api/db.py); this runs `fn`
            # on one connection with the server's default (jit = on) instead.
            async def run() -> object:
                async with in_transaction():
                    await connections.get("default").execute_script("SET LOCAL jit = on")
                    return await fn()

            return run

        runs = [("report", report), ("baseline", baseline)]
        if before_load is not None:
            runs.insert(1, (f"before ({before_rev})", report_before))
        if os.environ.get("HITFLOW_BENCH_JIT") == "1":
            runs.append(("report, jit on", jit_on(report)))
            if before_load is not None:
                runs.append((f"before ({before_rev}), jit on", jit_on(report_before)))
            runs.append(("baseline, jit on", jit_on(baseline)))
        for _, fn in runs:
            await fn()  # warm
        timings: dict[str, list[float]] = {label: [] for label, _ in runs}
        results: dict[str, object] = {}
        for _ in range(RUNS):
            for label, fn in runs:
                s = time.perf_counter()
                results[label] = await fn()
                timings[label].append((time.perf_counter() - s) * 1000)
        result = results["report"]
        if before_load is not None:
            old = results[f"before ({before_rev})"]
            same = old.overall == result.overall and old.targets == result.targets  # type: ignore[attr-defined]
            print(f"same figures as before ({before_rev}): {same}")
        rep = statistics.median(timings["report"])
        base = statistics.median(timings["baseline"])
        overall = result.overall  # type: ignore[attr-defined]
        print(
            f"one-year SLA report, {TARGETS} targets: median {rep:.0f} ms, "
            f"max {max(timings['report']):.0f} ms over {RUNS} runs"
        )
        if before_load is not None:
            label = f"before ({before_rev})"
            old_ms = statistics.median(timings[label])
            print(
                f"report {label}: median {old_ms:.0f} ms, max {max(timings[label]):.0f} ms; "
                f"speed-up {old_ms / rep:.1f}x"
            )
        print(f"baseline (target_stats x {TARGETS}, same year): median {base:.0f} ms")
        for label in timings:
            if label.endswith("jit on"):
                print(
                    f"{label}: median {statistics.median(timings[label]):.0f} ms, "
                    f"max {max(timings[label]):.0f} ms"
                )
        print(f"load average at the end: {os.getloadavg()}")
        print(f"ratio report / baseline: {rep / base:.2f}")
        print(
            f"overall uptime {overall.uptime_percent} %, downtime {overall.downtime_minutes} min, "
            f"p95 {overall.p95_ms} ms, budget left {overall.error_budget_remaining_minutes} min"
        )
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
