"""PostgreSQL restarted under a running deployment (a private cluster of this test's own,
stopped with `pg_ctl -m immediate`: a crash). Runs in the PostgreSQL pass of the suite
(HITFLOW_TEST_DATABASE_URL set), as root with the PostgreSQL server binaries installed."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, free_port
from tests.faults.conftest import Deployment, eventually, readyz
from workers.jobs.ingest import stream_stats

PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))

pytestmark = [
    pytest.mark.fault,
    pytest.mark.slow,
    pytest.mark.skipif(
        not TEST_DATABASE_URL or not PG_BINS or os.geteuid() != 0 or not shutil.which("runuser"),
        reason="the PostgreSQL pass, as root, with the PostgreSQL server binaries",
    ),
]


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hitflow-pg-"))
        shutil.chown(self.root, "postgres")
        self.bin = PG_BINS[-1].parent
        self.data = self.root / "data"
        self.port = free_port()

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "start",
        )

    def crash(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def remove(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.init()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def database_location(postgres: PostgresServer) -> tuple[str, str | None]:
    # The `db` fixture creates this database (and its tables) on the private server.
    return f"postgres://postgres@127.0.0.1:{postgres.port}/hitflow", None


async def test_postgres_crash_and_restart_checking_goes_on_and_ingest_resumes(
    deployment: Deployment, postgres: PostgresServer, api_port: int
) -> None:
    dep = deployment
    await dep.add_targets(5, interval=1, timeout=0.5)
    api, worker, probe = dep.api(api_port), dep.worker(), dep.probe()

    async def running() -> bool:
        return await dep.result_count() >= 10 and worker.ready_file.exists()

    await eventually(running, 40)
    down_at = time.time()
    postgres.crash()

    async def worker_not_ready() -> bool:
        return not worker.ready_file.exists()

    await eventually(worker_not_ready, 5)
    assert await readyz(api_port) == 503
    assert probe.ready_file.exists()  # probes never need the database
    await asyncio.sleep(4)
    postgres.start()
    back = time.time()

    async def stored_again() -> bool:
        try:
            return await dep.stored_after(back) >= len(dep.targets)
        except Exception:  # this test's own connection reconnects too
            return False

    resumed = await eventually(stored_again, 10)
    print(f"\ncheck results stored again {resumed:.1f} s after PostgreSQL came back")

    async def ready_again() -> bool:
        return worker.ready_file.exists() and await readyz(api_port) == 200

    await eventually(ready_again, 5)
    assert api.alive() and worker.alive() and probe.alive()

    # Checking went on during the outage: its results waited in Redis and are all stored.
    async def backlog_ingested() -> bool:
        stats = await stream_stats(dep.redis)
        return stats["pending"] + stats["length"] < 3

    took = await eventually(backlog_ingested, 10)
    print(f"backlog ingested {took + resumed:.1f} s after PostgreSQL came back")
    await dep.assert_no_gaps(1, since_ms=int((down_at - 1) * 1000))
    lost = [e for e in worker.events("dependency_unavailable") if e["dependency"] == "database"]
    assert len(lost) == 1, worker.output()
    assert await dep.down_transitions() == 0
