"""CPU per HTTP check of the probe code alone, in one process, against the local target
server of bench/checks.py; the raw asyncio socket GET measured in the same run.

    python bench/probe_cpu.py                    # 4000 checks, 40 at a time, 3 rounds
    python bench/probe_cpu.py --uvloop           # the same on uvloop
    python bench/probe_cpu.py --https            # HTTPS, certificate verified (trustme CA)
    python bench/probe_cpu.py --profile /tmp/p   # cProfile (CPU time) of the probe rounds

It measures process CPU time (user + system), not wall time, so a busy machine slows it
down without inflating the figures much. Rounds alternate probe and raw loops; the
medians are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import shutil
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checks import answer, free_port, serve_targets  # noqa: E402


def serve_tls_targets(port: int, certfile: str, keyfile: str) -> None:
    """bench/checks.py's target server behind TLS (its own process)."""

    async def main() -> None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(certfile, keyfile)
        server = await asyncio.start_server(answer, "127.0.0.1", port, ssl=ctx, backlog=4096)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


async def _wait_port(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise SystemExit("target server did not start")


async def run(args: argparse.Namespace, port: int) -> None:
    from api.core.netguard import Guard
    from workers.probes.base import ProbeContext
    from workers.probes.runner import run_check

    pctx = ProbeContext(guard=Guard(True), extra_ca_file=args.ca_file)
    url = f"{'https' if args.https else 'http'}://127.0.0.1:{port}/"
    raw_ssl = ssl.create_default_context(cafile=args.ca_file) if args.https else None
    await _wait_port(port)

    def spec(n: int) -> dict[str, Any]:
        return {
            "spec": {"targetId": n, "kind": "HTTP", "timeout": 5, "config": {"url": url}},
            "due": 1_700_000_000_000 + n,
        }

    async def probe_round() -> float:
        t0 = time.process_time()
        for start in range(0, args.checks, args.concurrency):
            results = await asyncio.gather(
                *(
                    run_check(spec(n), "eu-west", pctx)
                    for n in range(start, start + args.concurrency)
                )
            )
            bad = [r for r in results if r["status"] != "UP"]
            if bad:
                raise SystemExit(f"check failed: {bad[0]}")
        return (time.process_time() - t0) * 1000 / args.checks

    async def raw_one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=raw_ssl)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await reader.read()
        writer.close()

    async def raw_round() -> float:
        t0 = time.process_time()
        for _start in range(0, args.checks, args.concurrency):
            await asyncio.gather(*(raw_one() for _ in range(args.concurrency)))
        return (time.process_time() - t0) * 1000 / args.checks

    await probe_round()  # warm-up (imports, first SSL context...)
    probe, raw = [], []
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    for _ in range(args.rounds):
        if profiler:
            profiler.enable()
        probe.append(await probe_round())
        if profiler:
            profiler.disable()
        raw.append(await raw_round())
    if profiler:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(args.profile) / "probe_cpu.prof"))
    p, r = statistics.median(probe), statistics.median(raw)
    kind = "HTTPS" if args.https else "HTTP"
    print(f"probe run_check ({kind}) {p:.3f} ms CPU/check  rounds {[round(x, 3) for x in probe]}")
    print(f"raw asyncio {kind} GET  {r:.3f} ms CPU/request rounds {[round(x, 3) for x in raw]}")
    print(f"ratio                    {p / r:.2f}x  (uvloop {'on' if args.uvloop else 'off'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--https", action="store_true")
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    port = free_port()
    target: Any = serve_targets
    server_args: tuple[Any, ...] = (port,)
    args.ca_file = None
    if args.https:
        import trustme

        ca, folder = trustme.CA(), tempfile.mkdtemp(prefix="probe-cpu-")  # removed at the end
        leaf = ca.issue_cert("127.0.0.1")
        args.ca_file = f"{folder}/ca.pem"
        ca.cert_pem.write_to_path(args.ca_file)
        leaf.cert_chain_pems[0].write_to_path(f"{folder}/cert.pem")
        leaf.private_key_pem.write_to_path(f"{folder}/key.pem")
        target, server_args = serve_tls_targets, (port, f"{folder}/cert.pem", f"{folder}/key.pem")
    server = mp.get_context("spawn").Process(target=target, args=server_args, daemon=True)
    server.start()
    try:
        if args.uvloop:
            import uvloop

            uvloop.run(run(args, port))
        else:
            asyncio.run(run(args, port))
    finally:
        server.terminate()
        if args.https:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
