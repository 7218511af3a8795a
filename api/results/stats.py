"""Statistics of a target over a window: uptime, checks, failures, latency percentiles.

Never loads results into Python: whole days come from daily rollups, whole hours from
hourly rollups, and only the uncovered edges (partial hours, hours not yet rolled up)
are aggregated from raw results in SQL. Percentiles are read from the merged histogram.
Maintenance results count in none of the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.core import clock
from api.core.values import aware
from api.results import buckets
from api.results.rollups import DAY, HOUR, floor_day, floor_hour
from api.results.sql import as_datetime, fetch, json_each

MAX_WINDOW = timedelta(days=366)
_BUCKET = buckets.bucket_sql("response_time_ms")


@dataclass
class Figures:
    checks: int = 0
    failures: int = 0
    sum_ms: float = 0.0
    timed: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(
        self, checks: int, failures: int, sum_ms: float, timed: int, hist: dict[int, int]
    ) -> None:
        self.checks += checks
        self.failures += failures
        self.sum_ms += sum_ms
        self.timed += timed
        buckets.merge(self.histogram, hist)

    @property
    def uptime_percent(self) -> float:
        if self.checks == 0:
            return 100.0
        return round(100.0 * (self.checks - self.failures) / self.checks, 4)

    @property
    def avg_ms(self) -> float | None:
        return round(self.sum_ms / self.timed, 3) if self.timed else None

    def percentiles(self) -> list[float | None]:
        return buckets.percentiles(self.histogram, (0.5, 0.95, 0.99))


@dataclass
class Stats:
    overall: Figures
    by_region: dict[str, Figures]


def _ceil(at: datetime, step: timedelta, floor: Any) -> datetime:
    base = floor(at)
    return base if base == at else base + step


async def _rolled_until(target_id: int, span: str, step: timedelta) -> datetime | None:
    rows = await fetch(
        "SELECT MAX(hour) AS m FROM result_rollups WHERE target_id = ? AND span = ?",
        [target_id, span],
    )
    return as_datetime(rows[0]["m"]) + step if rows and rows[0]["m"] is not None else None


def plan(
    since: datetime, until: datetime, days_until: datetime | None, hours_until: datetime | None
) -> tuple[
    list[tuple[datetime, datetime]],
    list[tuple[datetime, datetime]],
    list[tuple[datetime, datetime]],
]:
    """Split [since, until) into (daily ranges, hourly ranges, raw ranges)."""
    daily: list[tuple[datetime, datetime]] = []
    rest = [(since, until)]
    if days_until is not None:
        d0, d1 = _ceil(since, DAY, floor_day), min(floor_day(until), days_until)
        if d0 < d1:
            daily.append((d0, d1))
            rest = [(a, b) for a, b in ((since, d0), (d1, until)) if a < b]
    hourly: list[tuple[datetime, datetime]] = []
    raw: list[tuple[datetime, datetime]] = []
    for a, b in rest:
        h0 = _ceil(a, HOUR, floor_hour)
        h1 = min(floor_hour(b), hours_until) if hours_until is not None else h0
        if h0 < h1:
            hourly.append((h0, h1))
            raw.extend((x, y) for x, y in ((a, h0), (h1, b)) if x < y)
        else:
            raw.append((a, b))
    return daily, hourly, raw


async def target_stats(
    target_id: int, since: datetime, until: datetime | None = None, region: str | None = None
) -> Stats:
    since, until = aware(since, "since"), aware(until, "until")
    now = clock.now()
    until = min(until or now, now)
    since = max(since, until - MAX_WINDOW)
    overall, by_region = Figures(), dict[str, Figures]()
    if since >= until:
        return Stats(overall, by_region)

    def figures(code: str) -> Figures:
        return by_region.setdefault(code, Figures())

    daily, hourly, raw = plan(
        since,
        until,
        await _rolled_until(target_id, "d", DAY),
        await _rolled_until(target_id, "h", HOUR),
    )
    region_sql, region_params = ("AND region = ?", [region]) if region else ("", [])

    ranges = [("d", a, b) for a, b in daily] + [("h", a, b) for a, b in hourly]
    if ranges:
        clauses = " OR ".join("(r.span = ? AND r.hour >= ? AND r.hour < ?)" for _ in ranges)
        where = f"WHERE r.target_id = ? {region_sql.replace('region', 'r.region')} AND ({clauses})"
        params = [target_id, *region_params, *(v for r in ranges for v in r)]
        sums = await fetch(
            "SELECT r.region AS region, SUM(r.checks) AS checks, SUM(r.failures) AS failures, "  # noqa: S608 (constants and ? params only)
            "SUM(r.sum_ms) AS sum_ms, SUM(r.timed_checks) AS timed "
            f"FROM result_rollups r {where} GROUP BY r.region",
            params,
        )
        for row in sums:
            figures(row["region"]).add(
                int(row["checks"] or 0),
                int(row["failures"] or 0),
                float(row["sum_ms"] or 0.0),
                int(row["timed"] or 0),
                {},
            )
        # Histograms are merged in SQL: one row per (region, bucket) comes back.
        hist_rows = await fetch(
            "SELECT r.region AS region, j.key AS bucket, SUM(CAST(j.value AS INTEGER)) AS n "  # noqa: S608
            f"FROM result_rollups r, {json_each()} j {where} GROUP BY r.region, j.key",
            params,
        )
        for row in hist_rows:
            buckets.merge(figures(row["region"]).histogram, {int(row["bucket"]): int(row["n"])})

    if raw:
        clauses = " OR ".join("(checked_at >= ? AND checked_at < ?)" for _ in raw)
        rows = await fetch(
            f"SELECT region, {_BUCKET} AS bucket, COUNT(*) AS checks, "  # noqa: S608
            "SUM(CASE WHEN status = 'DOWN' THEN 1 ELSE 0 END) AS failures, "
            "SUM(response_time_ms) AS sum_ms, COUNT(response_time_ms) AS timed "
            f"FROM check_results WHERE target_id = ? {region_sql} AND in_maintenance = ? "
            "AND status <> 'INCONCLUSIVE' "  # not a verdict: counts as no check
            f"AND ({clauses}) GROUP BY region, bucket",
            [target_id, *region_params, False, *(v for r in raw for v in r)],
        )
        for row in rows:
            timed = int(row["timed"] or 0)
            hist = {int(row["bucket"]): timed} if row["bucket"] is not None else {}
            args = (
                int(row["checks"]),
                int(row["failures"] or 0),
                float(row["sum_ms"] or 0.0),
                timed,
            )
            figures(row["region"]).add(*args, hist)
    for part in by_region.values():
        overall.add(part.checks, part.failures, part.sum_ms, part.timed, part.histogram)
    return Stats(overall, dict(sorted(by_region.items())))
