"""Bench: Target.stats over a year of 1-minute checks from 3 regions.

Builds the data the way production holds it (hourly + daily rollups for the year, raw
results for the last day: ~1.58 M checks in all), then times `target_stats` for several
windows. Prints figures; run with `python bench/stats.py` (SQLite file in a temp dir) or
with HITFLOW_BENCH_DATABASE_URL=postgres://... for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta

from tortoise import Tortoise

from api.core import clock
from api.db import tortoise_config
from api.results import buckets
from api.results.rollups import floor_day, floor_hour
from api.results.stats import target_stats

REGIONS = ("eu-west", "us-east", "ap-south")
PER_HOUR = 60


def _hour_histogram(rng: random.Random) -> tuple[dict[str, int], float, int]:
    hist: dict[int, int] = {}
    total = 0.0
    failures = 0
    for _ in range(PER_HOUR):
        ms = rng.lognormvariate(4.6, 0.5)
        total += ms
        failures += rng.random() < 0.002
        hist[buckets.bucket_of(ms)] = hist.get(buckets.bucket_of(ms), 0) + 1
    return buckets.dump(hist), total, failures


async def build(target_id: int) -> int:
    from api.targets.models import CheckResult, ResultRollup

    rng = random.Random(1)
    now = clock.now()
    last_hour = floor_hour(now)
    first_hour = last_hour - timedelta(days=365)
    hourly = []
    daily: dict[tuple[str, object], dict] = {}
    hour = first_hour
    while hour < last_hour:
        for region in REGIONS:
            hist, total, failures = _hour_histogram(rng)
            hourly.append(
                ResultRollup(
                    target_id=target_id,
                    region=region,
                    span="h",
                    hour=hour,
                    checks=PER_HOUR,
                    failures=failures,
                    sum_ms=total,
                    timed_checks=PER_HOUR,
                    histogram=hist,
                )
            )
            day = floor_day(hour)
            if day + timedelta(days=1) <= last_hour:
                acc = daily.setdefault((region, day), {"c": 0, "f": 0, "s": 0.0, "h": {}})
                acc["c"] += PER_HOUR
                acc["f"] += failures
                acc["s"] += total
                buckets.merge(acc["h"], buckets.load(hist))
        hour += timedelta(hours=1)
    await ResultRollup.bulk_create(hourly, batch_size=2000)
    await ResultRollup.bulk_create(
        [
            ResultRollup(
                target_id=target_id,
                region=region,
                span="d",
                hour=day,
                checks=a["c"],
                failures=a["f"],
                sum_ms=a["s"],
                timed_checks=a["c"],
                histogram=buckets.dump(a["h"]),
            )
            for (region, day), a in daily.items()
        ],
        batch_size=2000,
    )
    raw = []
    at = now - timedelta(days=1)
    n = 0
    while at < now:
        for region in REGIONS:
            raw.append(
                CheckResult(
                    check_id=f"b{n}-{region}",
                    target_id=target_id,
                    region=region,
                    checked_at=at,
                    status="UP",
                    response_time_ms=rng.lognormvariate(4.6, 0.5),
                )
            )
        at += timedelta(minutes=1)
        n += 1
    await CheckResult.bulk_create(raw, batch_size=2000)
    return len(hourly) * PER_HOUR + len(raw)


async def main() -> None:
    url = os.environ.get("HITFLOW_BENCH_DATABASE_URL")
    if not url:
        url = f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3"
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    try:
        from api.targets.models import Target
        from api.workspaces.models import Workspace

        ws = await Workspace.create(name="bench")
        target = await Target.create(workspace=ws, name="bench", kind="HTTP", regions=list(REGIONS))
        started = time.perf_counter()
        checks = await build(target.id)
        print(f"database: {url.split(':', 1)[0]}")
        print(
            f"built a year of 1-minute checks from 3 regions: {checks:,} checks "
            f"(rollups + last day raw) in {time.perf_counter() - started:.1f} s"
        )
        now = clock.now()
        windows = {
            "365 d": timedelta(days=365),
            "30 d": timedelta(days=30),
            "24 h": timedelta(hours=24),
            "1 h": timedelta(hours=1),
        }
        for label, span in windows.items():
            for region in (None, "us-east"):
                timings = []
                stats = None
                for _ in range(15):
                    t0 = time.perf_counter()
                    stats = await target_stats(
                        target.id, now - span - timedelta(minutes=7), now, region
                    )
                    timings.append((time.perf_counter() - t0) * 1000)
                assert stats is not None
                p50, p95, p99 = stats.overall.percentiles()
                print(
                    f"window {label:>6} region {region or 'all':>8}: median {statistics.median(timings):6.1f} ms, "
                    f"max {max(timings):6.1f} ms | checks {stats.overall.checks:>9,} "
                    f"uptime {stats.overall.uptime_percent:.3f} % p50 {p50} p95 {p95} p99 {p99}"
                )
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
