"""A flood by one tenant leaves another's p99 within 2x of idle (issue 11, point 5).

The API runs as its own process (`hitflow api`, uvicorn), the flooding tenant as another
(tests/platform/loadclient.py), and the bystander tenant's requests are timed from this
test: what the bystander waits for is the server, not a client sharing its event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.conftest import TEST_KEY, free_port
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.platform.loadclient import Connection, code_of

HITFLOW = str(Path(sys.executable).parent / "hitflow")
ROOT = Path(__file__).resolve().parents[2]
TRIVIAL = "{ viewer { user { email } } }"


def attack(aliases: int = 29, first: int = 20) -> str:
    """The issue's query: 100 targets x `aliases` aliased incidents connections."""
    fields = " ".join(
        f"i{n}: incidents(first: {first}) {{ edges {{ node {{ id }} }} }}" for n in range(aliases)
    )
    return (
        "query($ws: ID!) { node(id: $ws) { ... on Workspace { targets(first: 100) "
        f"{{ edges {{ node {{ id {fields} }} }} }} }} }} }}"
    )


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


class Flood:
    """The flooding tenant: a process of CLIENTS parallel clients, started and stopped."""

    def __init__(self, port: int, token: str, body: Path, clients: int, pause: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.platform.loadclient", "127.0.0.1", str(port), token,
             str(body), str(clients), str(pause)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip

    def _command(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline()

    async def go(self) -> None:
        assert (await asyncio.to_thread(self._command, "go")).strip() == "going"

    async def stop(self) -> dict[str, int]:
        answer = await asyncio.to_thread(self._command, "stop")
        return json.loads(answer)["answers"]  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def api_env() -> dict[str, str]:
    """Extra HITFLOW_* settings of the API process (override to change them)."""
    return {}


@pytest_asyncio.fixture
async def api_process(
    tmp_path: Path, database_url: str, redis_url: str, settings: Any, api_env: dict[str, str]
) -> AsyncIterator[int]:
    """`hitflow api` on a free port, on this test's database and Redis."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HITFLOW_")}
    env.update(
        HITFLOW_ENV="development",
        HITFLOW_DATA_DIR=str(tmp_path / "api"),
        HITFLOW_DATABASE_URL=database_url,
        HITFLOW_REDIS_URL=redis_url,
        HITFLOW_SECRET_KEYS=TEST_KEY,
        HITFLOW_SMTP_URL=settings.smtp_url,
        HITFLOW_PUBLIC_URL="http://testserver",
        HITFLOW_LOG_LEVEL="WARNING",
    )
    env.update(api_env)
    log = (tmp_path / "api.log").open("w")
    process = subprocess.Popen(
        [HITFLOW, "api", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, (tmp_path / "api.log").read_text()
                await asyncio.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.slow
async def test_a_flood_by_one_tenant_leaves_anothers_p99_within_twice_idle(
    api_process: int, settings: Any, tmp_path: Path
) -> None:
    """The issue's flood: one tenant sends the 100 targets x 29 aliased incidents query
    from ten parallel clients, each sending the next as soon as the last is answered.
    Another tenant sends a trivial query, one at a time. Idle and flood are measured in
    this one test, interleaved (ROUNDS rounds of SAMPLES each), so that the machine's
    load drifting weighs on both alike; the bystander's p99 under the flood must stay
    within twice its idle p99 (no absolute floor: on this shared machine the idle p99
    is tens of milliseconds, never tiny).

    What protects the bystander is the flooder's cost budget (api/graphql/fairgate.py):
    each refused query spends the cost limit, so after a burst of a few the flooder's
    requests wait at the gate and are answered RATE_LIMITED, and its closed-loop
    clients are slowed down instead of keeping the server's CPU busy. (The fair turns
    alone, with the budget off, measured a 5x p99 here: the refusals kept the process
    busy, and a busy process waits for the shared CPU.)"""
    port = api_process
    flooder = await create_account(settings)
    for n in range(100):
        await create_target(flooder.workspace, name=f"t{n}", url=f"https://t{n}.example.test/")
    bystander = await create_account(settings)
    body = tmp_path / "attack.json"
    body.write_text(json.dumps({"query": attack(), "variables": {"ws": flooder.workspace_gid}}))
    trivial = json.dumps({"query": TRIVIAL}).encode()
    connection = Connection("127.0.0.1", port, bystander.token)

    async def sample(count: int) -> list[float]:
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            status, answer = await connection.post(trivial)
            timings.append(time.perf_counter() - started)
            assert (status, code_of(answer)) == (200, None), answer
            await asyncio.sleep(0.002)
        return timings

    flood = Flood(port, flooder.token, body, clients=10, pause=0)
    try:
        await sample(50)  # warm-up
        idle: list[float] = []
        during: list[float] = []
        answers: Counter[str] = Counter()
        started = time.perf_counter()
        for _ in range(ROUNDS):
            idle += await sample(SAMPLES)
            await flood.go()
            await asyncio.sleep(0.1)
            during += await sample(SAMPLES)
            answers.update(await flood.stop())
        elapsed = time.perf_counter() - started
    finally:
        flood.close()
        await connection.close()
    print(
        f"\nbystander p99: idle {p99(idle) * 1000:.1f} ms, flood {p99(during) * 1000:.1f} ms"
        f" (median {statistics.median(idle) * 1000:.1f} / "
        f"{statistics.median(during) * 1000:.1f} ms; {len(idle)} samples each);"
        f" flood answers {dict(answers)} in {elapsed:.1f} s"
    )
    # Every answer the flooder got is a refusal (those still waiting when a round ended
    # were dropped: "sent" counts them too).
    assert set(answers) - {"sent"} <= {"200 QUERY_TOO_COSTLY", "429 RATE_LIMITED"}, answers
    assert answers["200 QUERY_TOO_COSTLY"] >= 1
    assert p99(during) <= 2 * p99(idle), (p99(idle), p99(during))


ROUNDS = 10
SAMPLES = 60
