"""Badge latency at a fixed request rate against a running `hitflow api`.

    python bench/badges.py [--rate 200] [--seconds 20] [--cache-seconds 60] [--targets 50]

Prepares a SQLite database with --targets targets, each with a badge token and 90 days
of hourly and daily rollups (no raw results: badges never read them), starts an embedded
Redis and `hitflow api` (this checkout's code) as its own process, then sends GETs at
--rate per second (open loop: a request starts on schedule whether or not the previous
ones answered) over the four badge kinds and the targets, on a keep-alive httpx pool,
and prints p50 / p99 / max latency, the status codes, and the API process's CPU per
request. `--cache-seconds 1` makes most requests miss the Redis cache (rollup queries).

Two latencies are printed: client-measured (includes the httpx client's own queueing;
one Python process driving 200 req/s through httpx costs it 2-7 CPU-ms per request and
falls behind on a shared machine) and server-measured (the API's request log
`duration_ms`, from the outermost logging middleware to the last byte handed to
uvicorn). Read the second as the badge's cost; the first bounds what a client saw here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = "q2F0m1pDm7Qh1i2Wm9Z8s7X6c5V4b3N2m1L0k9J8h7g"
PATHS = (
    "status.svg",
    "uptime.svg?period=30d",
    "response.svg?period=24h",
    "shields.json?kind=uptime&period=7d",
)


async def prepare_database(url: str, targets: int) -> list[str]:
    """Schema, one workspace, targets with rollups and badge tokens; returns the tokens."""
    from tortoise import Tortoise

    from api.accounts.models import User
    from api.badges.models import BadgeToken
    from api.core.tokens import BADGE_PREFIX, hash_token, new_token
    from api.db import tortoise_config
    from api.targets.models import ResultRollup, Target, TargetKind, TargetStatus
    from api.workspaces.service import create_personal_workspace

    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    user = await User.create(email="bench@example.test", password_hash="x")
    workspace = await create_personal_workspace(user)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    tokens = []
    for i in range(targets):
        target = await Target.create(
            workspace=workspace, name=f"t{i}", kind=TargetKind.HTTP,
            config={"url": "https://example.test/"}, status=TargetStatus.UP,
        )  # fmt: skip
        rows = [
            ResultRollup(target=target, region=region, span="h", hour=now - timedelta(hours=h),
                         checks=60, failures=h % 50 == 0, sum_ms=60 * 120.0, timed_checks=60)
            for h in range(24 * 7) for region in ("eu-west", "us-east")
        ] + [
            ResultRollup(target=target, region=region, span="d", hour=now.replace(hour=0) - timedelta(days=d),
                         checks=1440, failures=d % 7, sum_ms=1440 * 120.0, timed_checks=1440)
            for d in range(90) for region in ("eu-west", "us-east")
        ]  # fmt: skip
        await ResultRollup.bulk_create(rows, batch_size=1000)
        token = new_token(BADGE_PREFIX)
        await BadgeToken.create(target=target, token_hash=hash_token(token))
        tokens.append(token)
    await Tortoise.close_connections()
    return tokens


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("hitflow api exited; see its log")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit("hitflow api did not become healthy")


async def load(
    port: int, tokens: list[str], rate: float, seconds: float, connections: int = 100
) -> tuple[list[float], Counter[int], list[float]]:
    latencies: list[float] = []
    lags: list[float] = []  # how late each request started (the client falling behind)
    codes: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10
    ) as client:

        async def one(path: str, due: float) -> None:
            started = time.perf_counter()
            lags.append((started - due) * 1000)
            try:
                response = await client.get(path)
                codes[response.status_code] += 1
            except httpx.HTTPError:
                codes[0] += 1
                return
            latencies.append((time.perf_counter() - started) * 1000)

        tasks = []
        start = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            path = f"/badge/{tokens[i % len(tokens)]}/{PATHS[(i // len(tokens)) % len(PATHS)]}"
            tasks.append(asyncio.create_task(one(path, due)))
        await asyncio.gather(*tasks)
    return latencies, codes, lags


def server_durations(log: Path) -> list[float]:
    """The API's own duration_ms for each badge request (its request log line)."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if "/badge/" in line:
            found = re.search(r"duration_ms[\"']?[=:]\s*([0-9.]+)", line)
            if found:
                out.append(float(found.group(1)))
    return out


def pcts(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    qs = statistics.quantiles(values, n=100)
    return f"p50 {qs[49]:.2f}  p99 {qs[98]:.2f}  max {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--cache-seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=100, help="keep-alive pool size")
    args = parser.parse_args()

    from api.redis import EmbeddedRedis

    tmp = Path(tempfile.mkdtemp(prefix="hitflow-bench-badges-"))
    embedded = EmbeddedRedis(tmp)
    redis_url = embedded.start()
    db_url = f"sqlite://{tmp}/bench.sqlite3"
    tokens = asyncio.run(prepare_database(db_url, args.targets))
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HITFLOW_DATABASE_URL": db_url,
        "HITFLOW_REDIS_URL": redis_url,
        "HITFLOW_SECRET_KEYS": KEY,
        "HITFLOW_DATA_DIR": str(tmp / "var"),
        "HITFLOW_LOG_LEVEL": "INFO",  # the request log carries duration_ms
        "HITFLOW_BADGE_RATE_LIMIT_PER_MINUTE": "1000000",  # one client IP sends everything
        "HITFLOW_BADGE_CACHE_SECONDS": str(args.cache_seconds),
    }
    code = f"import sys; from api.cli import main; sys.argv = ['hitflow', 'api', '--port', '{port}']; main()"
    api = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=(tmp / "api.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(port, api)
        asyncio.run(load(port, tokens, args.rate, args.warmup, args.connections))
        warm_lines = len(server_durations(tmp / "api.log"))
        proc = psutil.Process(api.pid)
        cpu0, own0 = proc.cpu_times(), psutil.Process().cpu_times()
        latencies, codes, lags = asyncio.run(
            load(port, tokens, args.rate, args.seconds, args.connections)
        )
        cpu1, own1 = proc.cpu_times(), psutil.Process().cpu_times()
        time.sleep(0.5)
        server = server_durations(tmp / "api.log")[warm_lines:]
    finally:
        api.terminate()
        api.wait(10)
        embedded.stop()
    cpu_ms = ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) * 1000
    client_ms = ((own1.user - own0.user) + (own1.system - own0.system)) * 1000
    requests = sum(codes.values())
    print(f"badges: {requests} requests at {args.rate:.0f}/s over {args.seconds:.0f} s, "
          f"{args.targets} targets, cache {args.cache_seconds} s")  # fmt: skip
    print(f"status codes: {dict(sorted(codes.items()))}")
    print(f"latency ms, client-measured (send -> body):  {pcts(latencies)}")
    print(f"latency ms, server-measured (request log):   {pcts(server)}")
    print(f"client start lag ms (behind schedule):       {pcts(lags)}")
    print(
        f"CPU per request: API {cpu_ms / max(requests, 1):.2f} ms, load client {client_ms / max(requests, 1):.2f} ms"
    )
    print(f"targets: p50 < 5 ms, p99 < 20 ms; machine load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
