"""The reads behind an SLA report: a fixed set of SQL statements whatever the target count.

Whole UTC months come from monthly rollups (one row per target, region and month, whose
`day_mask` says which days were monitored), the other whole UTC days from daily rollups
(one row per target, region and day); hourly
rollups are read only where hour precision matters: every hour at the edges of the
range, of days not yet rolled into a daily row and of days a maintenance window touches;
elsewhere only the failing hours, through a small partial index of them. A year
of 100 targets x 3 regions is ~3.6k monthly rows and a few thousand daily rows at the
ends (~110k daily rows without months), aggregated in SQL; what comes back to
Python is counts per (target, region), histograms, and the (sparse) failing hours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.core import clock
from api.results import buckets
from api.results.rollups import DAY, HOUR, floor_day, floor_hour, floor_month, next_month
from api.results.sql import FAILING_HOURS_PREDICATE, as_datetime, fetch, hour_of, json_each

# Hours not rolled up yet (the rollup job rolls an hour a few minutes after it ends) are
# read from raw results, at most this far back from now: a report reaches up to now.
RAW_HOURS = timedelta(hours=3)
_BUCKET = buckets.bucket_sql("response_time_ms")


@dataclass
class HourRow:
    target_id: int
    region: str
    hour: datetime
    checks: int
    failures: int
    whole: bool = True  # its hour's monitored time is counted here (not by a daily row)


@dataclass
class RollupData:
    data_until: datetime  # the report's data stops here (now, or the last rolled hour)
    day_range: tuple[datetime, datetime]  # [d0, d1): read from daily rows
    days: dict[tuple[int, str], int] = field(default_factory=dict)  # daily rows with checks
    target_days: dict[int, int] = field(default_factory=dict)  # days with any region's row
    histograms: dict[tuple[int, str], dict[int, int]] = field(default_factory=dict)
    special_days: dict[int, set[datetime]] = field(default_factory=dict)  # read by the hour
    hours: list[HourRow] = field(default_factory=list)


def _ids(target_ids: list[int]) -> str:
    return ",".join(str(int(i)) for i in target_ids)  # integers only: safe to inline


async def _latest(ids: str, span: str) -> datetime | None:
    # One index seek per target (a MAX over all their rows would scan a year of them).
    rows = await fetch(
        "SELECT MAX(m) AS m FROM (SELECT (SELECT r.hour FROM result_rollups r "  # noqa: S608 (integers only)
        "WHERE r.target_id = t.id AND r.span = ? ORDER BY r.hour DESC LIMIT 1) AS m "
        f"FROM targets t WHERE t.id IN ({ids})) x",
        [span],
    )
    return as_datetime(rows[0]["m"]) if rows and rows[0]["m"] is not None else None


def _ceil_day(at: datetime) -> datetime:
    base = floor_day(at)
    return base if base == at else base + DAY


def _useful_months(d0: datetime, d1: datetime) -> list[datetime]:
    """The UTC months worth reading from monthly rows for [d0, d1): those wholly inside,
    and those it covers mostly (the month row minus the daily rows of the few days
    outside is then fewer rows than the daily rows of the days inside)."""
    out, month = [], floor_month(d0)
    while month < d1:
        inside = (min(next_month(month), d1) - max(month, d0)).days
        outside = (next_month(month) - month).days - inside
        if outside + 1 < inside:
            out.append(month)
        month = next_month(month)
    return out


def _day_bits(month: datetime, start: datetime, end: datetime) -> int:
    """The day_mask bits of the days of `month` inside [start, end)."""
    lo = max(0, (start - month).days)
    hi = min((next_month(month) - month).days, (end - month).days)
    return ((1 << hi) - 1) & ~((1 << lo) - 1) if hi > lo else 0


def _merge_ranges(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(set(ranges)):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _minus(
    whole: tuple[datetime, datetime], holes: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """[a, b) without the sorted, disjoint `holes` (each inside it)."""
    out, at = [], whole[0]
    for a, b in holes:
        if at < a:
            out.append((at, a))
        at = max(at, b)
    if at < whole[1]:
        out.append((at, whole[1]))
    return out


async def load(
    target_ids: list[int],
    since: datetime,
    until: datetime,
    maintenance_days: dict[int, set[datetime]],
) -> RollupData:
    """Everything the report needs from rollups of `target_ids` over [since, until).

    `maintenance_days`: per target, the UTC days read by the hour: those a maintenance
    window touches (so that only the window's minutes leave the figures) and the day the
    target was created (so that its hours before creation are not monitored time).
    """
    if not target_ids:
        return RollupData(data_until=since, day_range=(since, since))
    ids = _ids(target_ids)
    last_hour = await _latest(ids, "h")
    last_day = await _latest(ids, "d")
    rolled_until = min(until, last_hour + HOUR) if last_hour is not None else since
    rolled_until = max(rolled_until, since)
    # Past the last rolled hour: raw results, for the last few hours only.
    raw_from = max(rolled_until, floor_hour(clock.now()) - RAW_HOURS)
    data_until = until if raw_from < until else rolled_until
    d0 = _ceil_day(since)
    d1 = min(floor_day(data_until), last_day + DAY) if last_day is not None else d0
    d1 = max(d1, d0)
    out = RollupData(data_until=data_until, day_range=(d0, d1))
    # Hour-read ranges for every target: before the first whole day, after the last one.
    edges = [(floor_hour(since), min(d0, rolled_until)), (d1, rolled_until)]
    edges = [(a, b) for a, b in edges if a < b]

    # UTC months inside [d0, d1), or mostly inside, are read from monthly rows where the
    # month is rolled up (12 rows a year instead of 365 daily rows): exact, both being
    # UTC. Of a month partly inside, day_mask gives the days inside, and its histogram is
    # the month's minus the daily rows of the days outside. Other days: daily rows.
    month_ranges: list[tuple[datetime, datetime]] = []  # month rows read
    minus_ranges: list[tuple[datetime, datetime]] = []  # daily rows taken back out
    months = _useful_months(d0, d1)
    if months:
        target_masks: dict[tuple[int, datetime], int] = defaultdict(int)
        present: set[datetime] = set()
        for row in await fetch(
            "SELECT r.target_id AS t, r.region AS region, r.hour AS month, "  # noqa: S608
            "r.day_mask AS mask FROM result_rollups r WHERE r.span = 'm' "
            f"AND r.target_id IN ({ids}) AND r.hour >= ? AND r.hour < ?",
            [months[0], next_month(months[-1])],
        ):
            tid, month = int(row["t"]), as_datetime(row["month"])
            if month not in months:
                continue
            mask = int(row["mask"] or 0) & _day_bits(month, d0, d1)
            key = (tid, row["region"])
            out.days[key] = out.days.get(key, 0) + mask.bit_count()
            target_masks[(tid, month)] |= mask
            present.add(month)
        for (tid, _), mask in target_masks.items():
            out.target_days[tid] = out.target_days.get(tid, 0) + mask.bit_count()
        for month in sorted(present):
            month_ranges.append((month, next_month(month)))
            minus_ranges += [r for r in ((month, d0), (d1, next_month(month))) if r[0] < r[1]]
        month_ranges = _merge_ranges(month_ranges)
    day_ranges = _minus(
        (d0, d1), _merge_ranges([(max(a, d0), min(b, d1)) for a, b in month_ranges])
    )

    def rows_of(span: str, ranges: list[tuple[datetime, datetime]], columns: str) -> str:
        # One branch per range, UNION ALL: each an index range scan.
        return " UNION ALL ".join(
            f"SELECT {columns} FROM result_rollups r WHERE r.span = '{span}' "  # noqa: S608 (constants and integers only)
            f"AND r.target_id IN ({ids}) AND r.hour >= ? AND r.hour < ?"
            for _ in ranges
        )

    day_params = [v for r in day_ranges for v in r]
    if day_ranges:
        days_sql = rows_of("d", day_ranges, "r.target_id, r.region, r.hour, r.checks")
        for row in await fetch(
            "SELECT r.target_id AS t, r.region AS region, COUNT(*) AS n "  # noqa: S608
            f"FROM ({days_sql}) r WHERE r.checks > 0 GROUP BY r.target_id, r.region",
            day_params,
        ):
            key = (int(row["t"]), row["region"])
            out.days[key] = out.days.get(key, 0) + int(row["n"])
        for row in await fetch(
            "SELECT r.target_id AS t, COUNT(DISTINCT r.hour) AS n "  # noqa: S608
            f"FROM ({days_sql}) r WHERE r.checks > 0 GROUP BY r.target_id",
            day_params,
        ):
            tid = int(row["t"])
            out.target_days[tid] = out.target_days.get(tid, 0) + int(row["n"])

    # Latency histograms, merged in SQL: months (less their days outside the range),
    # days and the edge hours.
    hist_parts = [
        (span, sign, ranges)
        for span, sign, ranges in (
            ("m", 1, month_ranges),
            ("d", -1, minus_ranges),
            ("d", 1, day_ranges),
            ("h", 1, edges),
        )
        if ranges
    ]
    if hist_parts:
        hist_sql = " UNION ALL ".join(
            rows_of(span, ranges, f"r.target_id, r.region, r.histogram, {sign} AS sign")
            for span, sign, ranges in hist_parts
        )
        for row in await fetch(
            "SELECT r.target_id AS t, r.region AS region, j.key AS bucket, "  # noqa: S608
            "SUM(r.sign * CAST(j.value AS INTEGER)) AS n "
            f"FROM ({hist_sql}) r, {json_each()} j GROUP BY r.target_id, r.region, j.key",
            [v for _, _, ranges in hist_parts for r in ranges for v in r],
        ):
            if int(row["n"]):
                hist = out.histograms.setdefault((int(row["t"]), row["region"]), {})
                hist[int(row["bucket"])] = hist.get(int(row["bucket"]), 0) + int(row["n"])

    # Days read whole by the hour: those a maintenance window touches (its minutes leave
    # the monitored time). Elsewhere only the failing hours are read (sparse): a day
    # with a daily row is monitored whole, and its failing hours say how long it was down.
    special: dict[int, set[datetime]] = {
        tid: {d for d in days if d0 <= d < d1} for tid, days in maintenance_days.items()
    }
    out.special_days = special
    whole_days: dict[datetime, list[int]] = defaultdict(list)
    for tid, days in special.items():
        for day in days:
            whole_days[day].append(tid)

    def by_day(groups: dict[datetime, list[int]]) -> tuple[list[str], list[Any]]:
        clauses, params = [], []
        for day, tids in sorted(groups.items()):
            clauses.append(
                f"(r.hour >= ? AND r.hour < ? AND r.target_id IN ({_ids(sorted(tids))}))"
            )
            params += [day, day + DAY]
        return clauses, params

    whole_sql, whole_params = by_day(whole_days)
    clauses = ["(r.hour >= ? AND r.hour < ?)" for _ in edges] + whole_sql
    params: list[Any] = [v for e in edges for v in e] + whole_params
    # One branch per range, UNION ALL: each branch is an index range scan (an OR of
    # them made PostgreSQL scan every row). A failing hour of a whole-read day comes twice.
    select = (
        "SELECT r.target_id AS t, r.region AS region, r.hour AS hour, r.checks AS checks, "  # noqa: S608 (integers only)
        f"r.failures AS failures FROM result_rollups r WHERE r.span = 'h' "
        f"AND r.target_id IN ({ids}) AND r.checks > 0 AND "
    )
    branches = [select + c for c in clauses]
    # Failing hours inside whole days (rare): read straight from the partial index of
    # failing hourly rows (FAILING_HOURS_INDEX), which holds every column needed here.
    # Its predicate is repeated word for word so that the planner can use it.
    branches.append(
        "SELECT r.target_id AS t, r.region AS region, r.hour AS hour, r.checks AS checks, "  # noqa: S608 (integers only)
        f"r.failures AS failures FROM result_rollups r WHERE {FAILING_HOURS_PREDICATE} "
        f"AND r.target_id IN ({ids}) AND r.hour >= ? AND r.hour < ?"
    )
    params += [d0, d1]
    seen: set[tuple[int, str, datetime]] = set()
    for row in await fetch(" UNION ALL ".join(branches), params):
        hour, tid = as_datetime(row["hour"]), int(row["t"])
        if (tid, row["region"], hour) in seen:
            continue
        seen.add((tid, row["region"], hour))
        out.hours.append(
            HourRow(
                tid,
                row["region"],
                hour,
                int(row["checks"]),
                int(row["failures"] or 0),
                whole=not d0 <= hour < d1 or floor_day(hour) in special.get(tid, ()),
            )
        )
    if raw_from < until:
        await _read_raw(out, ids, raw_from, until)
    return out


async def _read_raw(out: RollupData, ids: str, start: datetime, end: datetime) -> None:
    """Hours not rolled up yet, from raw results counted as the rollup job counts them
    (api/results/rollups.rollup_hour): one row per target, region, hour and bucket."""
    per_hour: dict[tuple[int, str, datetime], list[int]] = {}
    for row in await fetch(
        f"SELECT target_id AS t, region, {hour_of('checked_at')} AS hour, "  # noqa: S608 (constants and integers only)
        f"{_BUCKET} AS bucket, COUNT(*) AS checks, "
        "SUM(CASE WHEN status = 'DOWN' THEN 1 ELSE 0 END) AS failures, "
        "COUNT(response_time_ms) AS timed FROM check_results "
        f"WHERE target_id IN ({ids}) AND checked_at >= ? AND checked_at < ? "
        "AND in_maintenance = ? AND status <> 'INCONCLUSIVE' "
        "GROUP BY target_id, region, hour, bucket",
        [start, end, False],
    ):
        tid = int(row["t"])
        counts = per_hour.setdefault((tid, row["region"], as_datetime(row["hour"])), [0, 0])
        counts[0] += int(row["checks"])
        counts[1] += int(row["failures"] or 0)
        if row["bucket"] is not None:
            hist = out.histograms.setdefault((tid, row["region"]), {})
            bucket = int(row["bucket"])
            hist[bucket] = hist.get(bucket, 0) + int(row["timed"])
    for (tid, region, hour), (checks, failures) in sorted(per_hour.items()):
        out.hours.append(HourRow(tid, region, hour, checks, failures, whole=True))


def utc_days(start: datetime, end: datetime) -> set[datetime]:
    """The UTC days that [start, end) touches."""
    days, day = set(), floor_day(start)
    while day < end:
        days.add(day)
        day += timedelta(days=1)
    return days
