"""Scheduler leadership failover: two `hitflow worker` processes, the leader is killed
with SIGKILL (no lock release), the standby takes over and checks are handed to the
probes again within 5 s."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_KEY
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from workers.jobs.scheduler import ENQUEUED_KEY, LOCK_KEY

FAILOVER_BUDGET = 5.0


def start_worker(name: str, database_url: str, redis_url: str, tmp: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HITFLOW_DATABASE_URL": database_url,
        "HITFLOW_REDIS_URL": redis_url,
        "HITFLOW_SECRET_KEYS": TEST_KEY,
        "HITFLOW_DATA_DIR": str(tmp / name),
        "HITFLOW_REGIONS": "eu-west,us-east,ap-south",
        "HITFLOW_LOG_LEVEL": "INFO",
    }
    hitflow = Path(sys.executable).with_name("hitflow")
    log = (tmp / f"{name}.log").open("wb")
    return subprocess.Popen([str(hitflow), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)


async def _enqueued(redis: Any) -> int:
    return int(await redis.get(ENQUEUED_KEY) or 0)


async def _wait(predicate: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not await predicate():
        assert time.monotonic() - start < timeout, what
        await asyncio.sleep(0.02)
    return time.monotonic() - start


@pytest.mark.slow
async def test_checks_resume_within_5_s_after_the_leader_is_killed(
    settings, resources, redis_url, database_url, tmp_path
):
    account = await create_account(settings)
    for n in range(20):  # due every second: a resumed scheduler enqueues within a tick
        await create_target(account.workspace, name=f"site {n}", interval=1, regions=[])
    redis = resources.redis
    processes: list[subprocess.Popen] = []
    try:
        leader = start_worker("leader", database_url, redis_url, tmp_path)
        processes.append(leader)
        await _wait(lambda: redis.exists(LOCK_KEY), 30, "no worker took the scheduler lock")
        first = await _enqueued(redis)
        await _wait(lambda: _enqueued_more(redis, first), 10, "the leader never handed checks over")
        standby = start_worker("standby", database_url, redis_url, tmp_path)
        processes.append(standby)
        # The standby is up (its startup hooks ran: the scheduler polls the lock) - under
        # CPU load a worker's start-up alone can take longer than the budget - and its
        # scheduler has tried the lock at least once (every second).
        started = tmp_path / "standby.log"
        await _wait(
            lambda: _logged(started, b"hitflow_worker_started"), 60, "the standby never started"
        )
        await asyncio.sleep(1.5)
        assert standby.poll() is None

        leader.send_signal(signal.SIGKILL)
        leader.wait()
        killed_at = time.monotonic()
        before = await _enqueued(redis)
        await _wait(lambda: _enqueued_more(redis, before), 15, "checks never resumed")
        resumed = time.monotonic() - killed_at
        print(f"failover: checks resumed {resumed:.2f} s after kill -9 of the leader")
        assert resumed < FAILOVER_BUDGET
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def _logged(path: Path, event: bytes) -> bool:
    return path.exists() and event in path.read_bytes()


async def _enqueued_more(redis: Any, than: int) -> bool:
    return await _enqueued(redis) > than
