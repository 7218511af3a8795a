"""Bench: the public status page view (service.public_view) of a 50-target page.

10 components of 5 targets, 3 regions, a year of daily rollups and 30 days of hourly
rollups for every target (the rows a real database holds beside them), 20 incidents.
Times `open_page` + `public_view` (what the statusPage query runs, GraphQL aside).
Run with `python bench/statuspage.py` (SQLite file in a temp dir) or with
HITFLOW_BENCH_DATABASE_URL=postgres://... for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import timedelta

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
            target_ids=[t.id for t in targets[c * 5 : c * 5 + 5]],
        )
    print(f"rollup rows: {len(rows):,}")


async def main() -> None:
    from api.statuspages import service

    url = (
        os.environ.get("HITFLOW_BENCH_DATABASE_URL")
        or f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3"
    )
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    settings = Settings(env="development", regions=list(REGIONS))
    try:
        await build()
        print(f"database: {url.split(':', 1)[0]}")
        timings = []
        for _ in range(50):
            t0 = time.perf_counter()
            page = await service.open_page(settings, "bench", None)
            assert page is not None
            view = await service.public_view(page)
            timings.append((time.perf_counter() - t0) * 1000)
        assert len(view.components) == 10 and len(view.components[0].bars) == 90
        timings.sort()
        print(
            f"public view of 10 components / 50 targets, 50 runs: median {statistics.median(timings):.1f} ms, "
            f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, max {timings[-1]:.1f} ms"
        )
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
