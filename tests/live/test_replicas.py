"""Two `hitflow api` processes behind one Redis: an event published once reaches the
subscribers of both (each process holds its own pub/sub subscription)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_KEY, free_port
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import LEGACY_WS, publish_result, subscribed

RESULTS = "subscription($w: ID) { checkResults(workspaceId: $w) { id error } }"


def start_api(port: int, database_url: str, redis_url: str, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HITFLOW_DATABASE_URL": database_url,
        "HITFLOW_REDIS_URL": redis_url,
        "HITFLOW_SECRET_KEYS": TEST_KEY,
        "HITFLOW_DATA_DIR": str(data_dir),
        "HITFLOW_LOG_LEVEL": "WARNING",
    }
    hitflow = Path(sys.executable).with_name("hitflow")
    log = (data_dir.parent / f"api-{port}.log").open("wb")
    return subprocess.Popen(
        [str(hitflow), "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )


async def wait_healthy(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as http:
        while True:
            assert process.poll() is None, "hitflow api exited at start"
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            assert time.monotonic() < deadline, "hitflow api never became ready"
            await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_one_published_event_reaches_clients_of_two_api_processes(
    resources, settings, redis_url, database_url, tmp_path
) -> None:
    account = await create_account(settings)
    target = await create_target(account.workspace)
    ports = [free_port(), free_port()]
    processes = [
        start_api(port, database_url, redis_url, tmp_path / f"var{i}")
        for i, port in enumerate(ports)
    ]
    try:
        await asyncio.gather(
            *(wait_healthy(p, proc) for p, proc in zip(ports, processes, strict=True))
        )
        urls = [f"ws://127.0.0.1:{port}/graphql" for port in ports]
        variables = {"w": account.workspace_gid}
        async with (
            subscribed(urls[0], account.token, RESULTS, variables) as first,
            subscribed(urls[1], account.token, RESULTS, variables, subprotocol=LEGACY_WS) as second,
        ):
            # Their relays are in other processes: warm up until both subscriptions are live.
            deadline = time.monotonic() + 15
            while not (first.results and second.results):
                assert time.monotonic() < deadline, "the replicas never relayed an event"
                await publish_result(resources, target, error="warm-up")
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.3)
            seen = len(first.results), len(second.results)

            # When one event is published once
            row = await publish_result(resources, target, error="once")

            # Then each replica's client gets it, exactly once
            got = [
                await first.wait_results(seen[0] + 1),
                await second.wait_results(seen[1] + 1),
            ]
            await asyncio.sleep(0.3)
            for results, before in zip(got, seen, strict=True):
                new = results[before:]
                assert [r["checkResults"]["error"] for r in new] == ["once"]
        assert row["error"] == "once"
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
