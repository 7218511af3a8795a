"""Ingest cost per batch, without probes: `ingest_results` fed synthetic results.

    python bench/ingest.py                                  # PostgreSQL, migrated (partitioned) schema
    python bench/ingest.py --database sqlite
    python bench/ingest.py --schema generate --batch 1000   # the schema bench/checks.py builds

Builds a fresh database with --targets HTTP targets, then ingests --rounds rounds of one
UP result per target in batches of --batch results (round 0: every target goes PENDING ->
UP; later rounds: steady state, nothing changes). Per round it prints, per result: wall
time, the ingest's Python CPU (this process), the PostgreSQL backends' CPU (from
/proc/PID/stat of this database's backends: run it on the database's host), the event
loop's worst lag (a task sleeping 50 ms) and the batch time p50 / max; for the first and
the last round, the time spent per statement (asyncpg only), largest first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import create_database, drop_database  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
STATEMENTS: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])


def backend_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / HZ


def time_statements() -> None:
    """Wrap asyncpg's statement execution to add up the time per statement text."""
    original = asyncpg.connection.Connection._execute

    async def timed(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return await original(self, query, *args, **kwargs)
        finally:
            key = re.sub(r"\$\d+", "$", query)
            key = re.sub(r"(\(\$(, \$)*\)(, )?)+", "(..)", key)[:100]
            STATEMENTS[key][0] += 1
            STATEMENTS[key][1] += time.perf_counter() - t

    asyncpg.connection.Connection._execute = timed


class _Settings:
    regions = ["eu-west"]


class _Resources:
    settings = _Settings()
    redis = None


def results_of(ids: list[int], round_no: int, base_ms: int) -> list[dict[str, Any]]:
    out = []
    for target_id in ids:
        due = base_ms + round_no * 10_000 + target_id % 10_000
        at = datetime.fromtimestamp(due / 1000 + 0.05, UTC).isoformat()
        out.append(
            {
                "check_id": f"{target_id}:eu-west:{due}",
                "target_id": target_id,
                "region": "eu-west",
                "checked_at": at,
                "due_at": at,
                "status": "UP",
                "response_time_ms": 1.2,
                "dns_ms": 0.0,
                "connect_ms": 0.3,
                "tls_ms": None,
                "first_byte_ms": 0.6,
                "transfer_ms": 0.1,
                "http_status": 200,
                "error": None,
                "certificate_expires_at": None,
            }
        )
    return out


async def prepare(url: str, schema: str, postgres: bool, n: int) -> list[int]:
    from tortoise import Tortoise

    from api.db import tortoise_config
    from api.targets.models import Target, TargetKind
    from api.workspaces.models import Workspace

    config = tortoise_config(url)
    if schema == "migrate":
        from tortoise.migrations.api import migrate

        await migrate(config=config)
        await Tortoise.close_connections()
        await Tortoise.init(config=config)
        if postgres:
            from api.results.partitions import ensure_partitions

            await ensure_partitions(datetime.now(UTC), 1, 2)
    else:
        await Tortoise.init(config=config)
        await Tortoise.generate_schemas()
    workspace = await Workspace.create(name="bench", plan="business")
    for start in range(0, n, 1000):
        await Target.bulk_create(
            [
                Target(
                    workspace=workspace,
                    name=f"t{i}",
                    kind=TargetKind.HTTP,
                    config={"url": "http://127.0.0.1:1/"},
                    interval_seconds=10,
                    timeout_seconds=5.0,
                    regions=["eu-west"],
                )
                for i in range(start, min(n, start + 1000))
            ]
        )
    return [t.id for t in await Target.all().only("id").order_by("id")]


async def run(args: argparse.Namespace, url: str, name: str | None) -> None:
    from tortoise import Tortoise, connections

    from api.targets.state import ingest_results

    postgres = name is not None
    ids = await prepare(url, args.schema, postgres, args.targets)
    conn = connections.get("default")
    lags: list[float] = []

    async def sample() -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.05)
            lags.append(time.perf_counter() - t - 0.05)

    sampler = asyncio.create_task(sample())
    base_ms = int(time.time() * 1000) - 600_000
    backends: set[int] = set()
    for round_no in range(args.rounds):
        STATEMENTS.clear()
        lags.clear()
        if postgres:
            rows = await conn.execute_query_dict(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1", [name]
            )
            backends |= {int(r["pid"]) for r in rows}
        pg0 = sum(backend_cpu(pid) for pid in backends)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        stored, batches = 0, []
        for start in range(0, len(ids), args.batch):
            batch = results_of(ids[start : start + args.batch], round_no, base_ms)
            t = time.perf_counter()
            report = await ingest_results(_Resources(), batch, publish=False)
            batches.append(time.perf_counter() - t)
            stored += report.stored
        cpu1, wall1 = time.process_time(), time.perf_counter()
        pg1 = sum(backend_cpu(pid) for pid in backends)
        batches.sort()
        per = 1000 / max(stored, 1)
        print(
            f"round {round_no} ({'start-up' if round_no == 0 else 'steady'}): {stored} results; "
            f"per result: wall {(wall1 - wall0) * per:.3f} ms, ingest CPU {(cpu1 - cpu0) * per:.3f} ms, "
            f"PG backend CPU {(pg1 - pg0) * per:.3f} ms; loop lag max {1000 * max(lags or [0]):.0f} ms; "
            f"batch of {args.batch} p50 {1000 * batches[len(batches) // 2]:.0f} / max "
            f"{1000 * batches[-1]:.0f} ms; load {Path('/proc/loadavg').read_text()[:14]}",
            flush=True,
        )
        if round_no in (0, args.rounds - 1):
            for key, (count, total) in sorted(STATEMENTS.items(), key=lambda kv: -kv[1][1]):
                print(f"    {total * 1000 / count:7.2f} ms x {int(count):5d}  {key}")
    sampler.cancel()
    await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--schema", choices=["migrate", "generate"], default="migrate")
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=250, help="results per ingest batch")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)  # one "target_status_changed" line per target otherwise
    time_statements()
    name = None
    if args.database == "postgres":
        url, name = create_database(args.postgres_url, "hitflow_bench_ingest")
    else:
        url = f"sqlite://{tempfile.mkdtemp(prefix='hitflow-ingest-')}/ingest.sqlite3"
    try:
        asyncio.run(run(args, url, name))
    finally:
        if name:
            drop_database(args.postgres_url, name)


if __name__ == "__main__":
    main()
