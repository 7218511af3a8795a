"""Live-update benchmark: N websocket subscribers on one `hitflow api` process.

    python bench/subscriptions.py [--subscribers 1000] [--rate 50] [--seconds 10]
                                  [--workspaces 100] [--client-procs 2] [--redis-url URL]
                                  [--uvloop] [--profile FILE] [--drain 60]

Starts an embedded Redis (unless --redis-url), a SQLite database with one account per
workspace, and `hitflow api` as its own process (so its RSS is measurable). Client
processes open the websockets (graphql-transport-ws) and subscribe to
checkResults(workspaceId); subscriber i listens to workspace i % W. The publisher sends
check_result events to Redis at a fixed rate, round-robin over the workspaces, each
carrying its publish time (in responseTimeMs) and a sequence number (in httpStatus).

Prints: RSS per idle subscribed connection (API RSS after connecting N idle subscribers
minus before, / N), p50/p99/max delivery latency from publish, events lost per client,
clients disconnected, and the API process's CPU use during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = "q2F0m1pDm7Qh1i2Wm9Z8s7X6c5V4b3N2m1L0k9J8h7g"
DOCUMENT = "subscription($w: ID!) { checkResults(workspaceId: $w) { responseTimeMs httpStatus } }"


# --- setup ---------------------------------------------------------------------------


async def prepare_database(url: str, workspaces: int) -> list[tuple[str, str]]:
    """Schema + one account per workspace; returns [(session token, workspace gid)]."""
    from tortoise import Tortoise

    from api.accounts.models import User
    from api.accounts.sessions import create_session
    from api.core.ids import encode
    from api.db import tortoise_config
    from api.settings import Settings
    from api.workspaces.service import create_personal_workspace

    settings = Settings(secret_keys=[KEY])
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    accounts = []
    for i in range(workspaces):
        user = await User.create(email=f"bench{i}@example.test", password_hash="x")
        workspace = await create_personal_workspace(user)
        token = await create_session(settings, user)
        accounts.append((token, encode("Workspace", workspace.id)))
    await Tortoise.close_connections()
    return accounts


def start_api(
    env: dict[str, str], port: int, profile: str | None, log: Path, uvloop: bool
) -> subprocess.Popen[bytes]:
    hitflow = str(Path(sys.executable).with_name("hitflow"))
    command = [hitflow, "api", "--port", str(port)]
    if uvloop:  # the same command, on uvloop's event loop
        code = (
            "import sys, uvloop; uvloop.install(); from api.cli import main; "
            f"sys.argv = ['hitflow', 'api', '--port', '{port}']; main()"
        )
        command = [sys.executable, "-c", code]
    if profile:
        command = [sys.executable, "-m", "cProfile", "-o", profile, *command]
    return subprocess.Popen(
        command,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- client processes ----------------------------------------------------------------


async def _client(url: str, token: str, workspace: str, out: dict[str, Any], ready: Any) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    while json.loads(await ws.recv())["type"] != "connection_ack":
        pass
    subscribe = {"id": "1", "type": "subscribe"}
    subscribe["payload"] = {"query": DOCUMENT, "variables": {"w": workspace}}  # type: ignore[assignment]
    await ws.send(json.dumps(subscribe))
    ready()
    try:
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
                continue
            if message["type"] != "next":
                out["errors"].append(str(message)[:200])
                continue
            result = message["payload"]["data"]["checkResults"]
            out["seqs"].append(result["httpStatus"])
            out["latencies"].append(now * 1000 - result["responseTimeMs"])
    except ConnectionClosed as exc:
        out["closed"] = exc.rcvd.code if exc.rcvd else -1


def client_process(
    tag: str,
    url: str,
    subs: list[tuple[str, str, int]],
    ready_counter: Any,
    stop: Any,
    results: Any,
    progress: Any = None,
    slot: int = 0,
) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()

    async def main() -> None:
        outs = [
            {"workspace": index, "seqs": [], "latencies": [], "errors": [], "closed": None}
            for _, _, index in subs
        ]

        def ready() -> None:
            with ready_counter.get_lock():
                ready_counter.value += 1

        tasks = []
        for (token, workspace, _), out in zip(subs, outs, strict=True):
            tasks.append(asyncio.create_task(_client(url, token, workspace, out, ready)))
            await asyncio.sleep(0.002)  # do not SYN-flood the listen backlog
        while not stop.is_set():
            if progress is not None:  # deliveries so far, for the drain wait
                progress[slot] = sum(len(out["seqs"]) for out in outs)
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        results.put((tag, outs))

    asyncio.run(main())


# --- publisher -----------------------------------------------------------------------


async def publish_events(
    redis_url: str, workspace_ids: list[int], rate: float, seconds: float
) -> list[int]:
    """Publish rate*seconds events; returns the workspace index of each sequence number."""
    from api.events import events_channel
    from api.redis import connect

    redis = await connect(redis_url)
    total = int(rate * seconds)
    targets = []
    start = time.monotonic()
    for seq in range(total):
        await asyncio.sleep(max(0.0, start + seq / rate - time.monotonic()))
        index = seq % len(workspace_ids)
        targets.append(index)
        result = {
            "id": seq + 1, "check_id": f"bench-{seq}", "target_id": 1, "region": "eu-west",
            "checked_at": "2026-01-01T00:00:00+00:00", "status": "UP",
            "response_time_ms": time.time() * 1000, "dns_ms": None, "connect_ms": None,
            "tls_ms": None, "first_byte_ms": None, "transfer_ms": None, "http_status": seq,
            "error": None, "certificate_expires_at": None, "in_maintenance": False,
        }  # fmt: skip
        event = {"type": "check_result", "workspaceId": workspace_ids[index], "targetId": 1}
        event["result"] = result  # type: ignore[assignment]
        await redis.publish(events_channel(redis), json.dumps(event))
    await redis.aclose()
    return targets


# --- main ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--workspaces",
        type=int,
        default=100,
        help="subscriber i watches workspace i mod W; each event goes to one workspace "
        "(1 = broadcast: every event to every subscriber)",
    )
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--drain", type=float, default=60.0, help="max wait for the backlog")
    parser.add_argument("--uvloop", action="store_true", help="run the API on uvloop")
    parser.add_argument("--profile", default=None, help="write a cProfile of the API here")
    args = parser.parse_args()

    from api.redis import EmbeddedRedis

    tmp = Path(tempfile.mkdtemp(prefix="hitflow-bench-"))
    embedded = None
    redis_url = args.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(tmp)
        redis_url = embedded.start()
    db_url = f"sqlite://{tmp}/bench.sqlite3"
    accounts = [
        (token, gid, index)
        for index, (token, gid) in enumerate(asyncio.run(prepare_database(db_url, args.workspaces)))
    ]
    workspace_ids = [int(i + 1) for i in range(args.workspaces)]  # created in order

    port = free_port()
    env = {
        **os.environ,
        "HITFLOW_DATABASE_URL": db_url,
        "HITFLOW_REDIS_URL": redis_url,
        "HITFLOW_SECRET_KEYS": KEY,
        "HITFLOW_DATA_DIR": str(tmp / "var"),
        "HITFLOW_LOG_LEVEL": "WARNING",
    }
    api = start_api(env, port, args.profile, tmp / "api.log", args.uvloop)
    procs: list[mp.Process] = []
    try:
        wait_healthy(port, api)
        url = f"ws://127.0.0.1:{port}/graphql"
        ps = psutil.Process(api.pid)

        ctx = mp.get_context("spawn")
        ready = ctx.Value("i", 0)
        stop = ctx.Event()
        results = ctx.Queue()
        # Warm the server (first connection's lazy imports) before the RSS baseline.
        warm_stop = ctx.Event()
        warm = ctx.Process(
            target=client_process, args=("warm", url, accounts[:1], ready, warm_stop, results)
        )
        warm.start()
        while ready.value < 1:
            time.sleep(0.05)
        time.sleep(1.0)
        rss_before = ps.memory_info().rss

        subs = [accounts[i % args.workspaces] for i in range(args.subscribers)]
        chunks = [subs[i :: args.client_procs] for i in range(args.client_procs)]
        started = time.monotonic()
        progress = ctx.Array("q", len(chunks))
        for slot, chunk in enumerate(chunks):
            process = ctx.Process(
                target=client_process,
                args=("bench", url, chunk, ready, stop, results, progress, slot),
            )
            process.start()
            procs.append(process)
        while ready.value < args.subscribers + 1:
            if time.monotonic() - started > 120:
                raise SystemExit(f"only {ready.value - 1} subscribers connected")
            time.sleep(0.05)
        connect_seconds = time.monotonic() - started
        time.sleep(2.0)  # let the subscriptions reach the relay and the server settle
        rss_after = ps.memory_info().rss
        per_connection = (rss_after - rss_before) / args.subscribers

        cpu_before = ps.cpu_times()
        wall = time.monotonic()
        targets = asyncio.run(publish_events(redis_url, workspace_ids, args.rate, args.seconds))
        publish_seconds = time.monotonic() - wall
        # Wait for the backlog: until deliveries stop growing for 2 s (at most --drain s).
        last, still_since, drain_until = -1, time.monotonic(), time.monotonic() + args.drain
        while time.monotonic() < drain_until and time.monotonic() - still_since < 2.0:
            total = sum(progress[:])
            if total != last:
                last, still_since = total, time.monotonic()
            time.sleep(0.1)
        drained_seconds = time.monotonic() - wall - publish_seconds - 2.0
        cpu = ps.cpu_times()
        cpu_used = (cpu.user + cpu.system) - (cpu_before.user + cpu_before.system)
        cpu_share = cpu_used / (time.monotonic() - wall)

        stop.set()
        warm_stop.set()
        outs: list[dict[str, Any]] = []
        for _ in range(len(procs) + 1):
            tag, part = results.get(timeout=60)
            if tag == "bench":
                outs.extend(part)
        warm.join(timeout=10)
    finally:
        for process in procs:
            process.join(timeout=10)
        api.send_signal(signal.SIGINT)  # SIGINT lets a --profile run write its output
        with contextlib.suppress(subprocess.TimeoutExpired):
            api.wait(10)
        if embedded:
            embedded.stop()

    expected_per_ws = [targets.count(i) for i in range(args.workspaces)]
    latencies = [lat for out in outs for lat in out["latencies"]]
    lost = []
    for out in outs:
        lost.append(max(0, expected_per_ws[out["workspace"]] - len(set(out["seqs"]))))
    codes = sorted({out["closed"] for out in outs if out["closed"] is not None})
    disconnected = {code: sum(1 for o in outs if o["closed"] == code) for code in codes}
    errors = sum(len(out["errors"]) for out in outs)
    deliveries = len(latencies)

    print(f"subscribers: {args.subscribers} over {args.client_procs} client processes, "
          f"{args.workspaces} workspace(s); connected in {connect_seconds:.1f} s")  # fmt: skip
    busy = publish_seconds + max(0.0, drained_seconds)
    print(f"events: {len(targets)} at {args.rate:g}/s for {args.seconds:g} s, each to the "
          f"{args.subscribers // args.workspaces} subscribers of its workspace -> {deliveries} "
          f"deliveries ({deliveries / busy:.0f}/s); last delivery {max(0.0, drained_seconds):.1f} s "
          f"after the last publish")  # fmt: skip
    print(f"delivery latency from publish: p50 {percentile(latencies, 0.5):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies, default=0):.1f} ms, "
          f"mean {statistics.fmean(latencies) if latencies else 0:.1f} ms")  # fmt: skip
    print(f"events lost: total {sum(lost)}, clients with losses {sum(1 for x in lost if x)}, "
          f"max per client {max(lost, default=0)}; disconnected (by close code) {disconnected or 0}; "
          f"errors {errors}")  # fmt: skip
    print(f"API RSS: {rss_before / 2**20:.1f} MiB before, {rss_after / 2**20:.1f} MiB with "
          f"{args.subscribers} idle subscribers -> {per_connection / 1024:.1f} KiB per connection")  # fmt: skip
    print(f"API CPU during the run: {cpu_share * 100:.0f}% of one core")


if __name__ == "__main__":
    main()
