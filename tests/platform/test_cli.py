"""The `hitflow` command, run for real in a subprocess with a private data dir."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
import websockets

from tests.conftest import free_port

HITFLOW = str(Path(sys.executable).parent / "hitflow")
SPA = "https://app.example.com"


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HITFLOW_")}
    env.update(
        HITFLOW_DATA_DIR=str(data_dir),
        HITFLOW_REGIONS="eu-west",
        HITFLOW_ARGON2_TIME_COST="1",
        HITFLOW_ARGON2_MEMORY_COST_KIB="64",
    )
    env.update(extra)
    return env


def hitflow(*args: str, env: dict[str, str], timeout: float = 15) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HITFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def redis_servers_for(socket_path: Path) -> list[int]:
    """Pids of live redis-server processes listening on this socket."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "status").read_text()
        except OSError:
            continue
        if "redis-server" in cmdline and str(socket_path) in cmdline and "State:\tZ" not in state:
            pids.append(int(entry.name))
    return pids


class Running:
    """A `hitflow` process whose output goes to a file (a pipe could fill and block it)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("w")
        self.process = subprocess.Popen(
            [HITFLOW, *args],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a shell job
        )

    def output(self) -> str:
        return self.log.read_text()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.output().splitlines() if x.startswith("{")]

    def wait_for_event(self, name: str, timeout: float = 30) -> dict[str, Any]:
        # A wait, not a speed claim: `hitflow up` migrates a new database first, which took
        # over 15 s in CI while the two test runs shared a loaded 2-core machine.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events() if e.get("event") == name]
            if found:
                return found[0]
            assert self.process.poll() is None, self.output()
            time.sleep(0.05)
        raise AssertionError(f"no {name} event within {timeout}s:\n{self.output()}")

    def stop(self, timeout: float = 15) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.handle.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.handle.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Any]:
    started: list[Running] = []

    def start(*args: str, env: dict[str, str]) -> Running:
        proc = Running(list(args), env, tmp_path / f"{args[0]}.log")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


def test_bad_setting_stops_the_start_naming_the_variable(data_dir: Path) -> None:
    result = hitflow("migrate", env=environment(data_dir, HITFLOW_MIN_INTERVAL_SECONDS="abc"))
    assert result.returncode == 2
    assert "HITFLOW_MIN_INTERVAL_SECONDS" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_secret_keys(data_dir: Path) -> None:
    result = hitflow("up", env=environment(data_dir, HITFLOW_ENV="production"))
    assert result.returncode == 2
    assert "HITFLOW_SECRET_KEYS" in result.stderr
    assert not (data_dir / "secret.key").exists()


def test_probe_with_an_unknown_region_lists_the_known_ones(data_dir: Path) -> None:
    result = hitflow("probe", "--region", "nope", env=environment(data_dir))
    assert result.returncode == 2
    assert "nope" in result.stderr
    assert "eu-west" in result.stderr and "us-east" in result.stderr


@pytest.mark.slow
def test_migrate_creates_the_sqlite_database(data_dir: Path) -> None:
    result = hitflow("migrate", env=environment(data_dir))
    assert result.returncode == 0, result.stderr
    database = data_dir / "hitflow.sqlite3"
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"users", "sessions", "workspaces", "memberships"} <= tables
    # Running it again (as every `hitflow up` does) is harmless.
    assert hitflow("migrate", env=environment(data_dir)).returncode == 0
    # The data folder and the database are for their owner only.
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.slow
def test_staff_grant(data_dir: Path) -> None:
    env = environment(data_dir)
    assert hitflow("migrate", env=env).returncode == 0
    with sqlite3.connect(data_dir / "hitflow.sqlite3") as conn:
        conn.execute(
            "INSERT INTO users (email, password_hash, display_name, email_verified, is_staff,"
            " is_active, legal_hold, created_at)"
            " VALUES ('ops@example.test', 'x', NULL, 1, 0, 1, 0, '2026-01-01 00:00:00+00:00')"
        )

    unknown = hitflow("staff", "grant", "nobody@example.test", env=env)
    assert unknown.returncode == 1
    assert "no user with e-mail nobody@example.test" in unknown.stderr

    granted = hitflow("staff", "grant", "  OPS@example.test ", env=env)
    assert granted.returncode == 0, granted.stderr
    with sqlite3.connect(data_dir / "hitflow.sqlite3") as conn:
        (is_staff,) = conn.execute(
            "SELECT is_staff FROM users WHERE email = 'ops@example.test'"
        ).fetchone()
    assert is_staff == 1


@pytest.mark.slow
def test_up_serves_everything_and_stops_cleanly(data_dir: Path, running: Any) -> None:
    port = free_port()
    env = environment(data_dir, HITFLOW_CORS_ORIGINS=SPA)
    proc = running("up", "--port", str(port), env=env)
    started = proc.wait_for_event("hitflow_up")
    base = f"http://127.0.0.1:{port}"
    assert started["url"] == f"{base}/graphql"
    _wait_http(f"{base}/healthz")

    # The embedded Redis: a private unix socket under the data dir, a child process.
    socket_path = data_dir / "redis" / "redis.sock"
    assert socket_path.is_socket()
    assert stat.S_IMODE((data_dir / "redis").stat().st_mode) == 0o700
    assert len(redis_servers_for(socket_path)) == 1
    # The database was migrated and a dev key generated, readable by the owner only.
    assert (data_dir / "hitflow.sqlite3").exists()
    assert stat.S_IMODE((data_dir / "secret.key").stat().st_mode) == 0o600

    with httpx.Client(base_url=base, timeout=5) as http:
        assert http.get("/readyz").json() == {"status": "ok", "database": "ok", "redis": "ok"}
        page = http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        answer = http.post("/graphql", json={"query": "{ viewer { user { email } } }"})
        assert answer.json() == {"extensions": ANY, "data": {"viewer": None}}
        assert len(answer.headers["x-request-id"]) == 32
        too_big = http.post(
            "/graphql", content=b"x" * 1_100_000, headers={"content-type": "application/json"}
        )
        assert too_big.status_code == 413  # HITFLOW_MAX_BODY_BYTES defaults to 1 MB

    # Websockets: the SPA's origin is let in, any other origin refused at the handshake.
    asyncio.run(_websocket_checks(f"ws://127.0.0.1:{port}/graphql"))

    assert proc.stop() == 0, proc.output()
    output = proc.output()
    assert "Traceback" not in output
    assert not socket_path.exists()
    assert redis_servers_for(socket_path) == []


@pytest.mark.slow
def test_api_worker_and_probe_stop_on_sigterm(data_dir: Path, running: Any) -> None:
    env = environment(data_dir)
    assert hitflow("migrate", env=env).returncode == 0
    port = free_port()
    # Each process has its own data dir here, so each starts its own embedded Redis.
    procs = {
        "hitflow_api_started": running(
            "api", "--port", str(port), env={**env, "HITFLOW_DATA_DIR": str(data_dir / "a")}
        ),
        "hitflow_worker_started": running("worker", env=env),
        "hitflow_probe_started": running(
            "probe", "--region", "us-east", env={**env, "HITFLOW_DATA_DIR": str(data_dir / "p")}
        ),
    }
    for event, proc in procs.items():
        proc.wait_for_event(event)
    _wait_http(f"http://127.0.0.1:{port}/healthz")
    for proc in procs.values():
        assert proc.stop() == 0, proc.output()
        assert "Traceback" not in proc.output()
    for sub in ("a", "p", "."):
        assert redis_servers_for(data_dir / sub / "redis" / "redis.sock") == []


async def _websocket_checks(url: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            url, origin="https://evil.example", subprotocols=["graphql-transport-ws"]
        ):
            pass
    assert refused.value.response.status_code == 403

    async with websockets.connect(url, origin=SPA, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack"
        # The body cap holds for websocket messages too: 1009 "message too big".
        await ws.send(json.dumps({"type": "ping", "payload": {"x": "x" * 1_100_000}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def _wait_http(url: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_busy_port_fails_fast_with_a_clear_message(data_dir: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = hitflow("up", "--port", str(port), env=environment(data_dir))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert redis_servers_for(data_dir / "redis" / "redis.sock") == []


def test_embedded_redis_dies_with_a_killed_hitflow(data_dir: Path, running: Any) -> None:
    proc = running("probe", "--region", "eu-west", env=environment(data_dir))
    proc.wait_for_event("hitflow_probe_started")
    socket_path = data_dir / "redis" / "redis.sock"
    (redis_pid,) = redis_servers_for(socket_path)
    proc.process.kill()  # SIGKILL: no cleanup code runs in hitflow
    proc.process.wait()
    deadline = time.monotonic() + 5
    while redis_servers_for(socket_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert redis_servers_for(socket_path) == [], f"orphan redis-server {redis_pid}"


def test_a_probe_whose_embedded_redis_dies_exits_non_zero(data_dir: Path, running: Any) -> None:
    # Nobody else restarts the process's own redis-server: it exits, so that a supervisor
    # (systemd, Docker, Kubernetes) restarts both. (A Redis of its own, HITFLOW_REDIS_URL,
    # is waited for instead: tests/faults.)
    proc = running("probe", "--region", "eu-west", env=environment(data_dir))
    proc.wait_for_event("hitflow_probe_started")
    (redis_pid,) = redis_servers_for(data_dir / "redis" / "redis.sock")
    os.kill(redis_pid, signal.SIGKILL)
    assert proc.process.wait(timeout=15) == 1
    assert "process_component_stopped" in proc.output()
    assert "Traceback" not in proc.output()


@pytest.mark.slow
def test_ctrl_c_in_a_terminal_stops_up_without_errors(data_dir: Path, running: Any) -> None:
    proc = running("up", "--port", str(free_port()), env=environment(data_dir))
    proc.wait_for_event("hitflow_up")
    # A terminal sends SIGINT to the whole foreground process group, children included.
    os.killpg(proc.process.pid, signal.SIGINT)
    assert proc.process.wait(timeout=15) == 0, proc.output()
    problems = [e for e in proc.events() if e.get("level") in ("warning", "error")]
    assert problems == []
    assert "Traceback" not in proc.output()
    assert redis_servers_for(data_dir / "redis" / "redis.sock") == []
