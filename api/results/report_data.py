"""The reads behind an SLA report: a fixed set of SQL statements whatever the target count.

Whole UTC days come from daily rollups (one row per target, region and day); hourly
rollups are read only where hour precision matters: every hour at the edges of the
range, of days not yet rolled into a daily row and of days a maintenance window touches;
elsewhere only the failing hours, through a small partial index of them. A year
of 100 targets x 3 regions is ~110k daily rows, aggregated in SQL; what comes back to
Python is counts per (target, region), histograms, and the (sparse) failing hours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.results.rollups import DAY, HOUR, floor_day, floor_hour
from api.results.sql import FAILING_HOURS_PREDICATE, as_datetime, fetch, json_each


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
    data_until: datetime  # hours before this are rolled up
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


async def load(
    target_ids: list[int],
    since: datetime,
    until: datetime,
    maintenance_days: dict[int, set[datetime]],
) -> RollupData:
    """Everything the report needs from rollups of `target_ids` over [since, until).

    `maintenance_days`: per target, the UTC days a maintenance window touches (read by
    the hour so that only the window's minutes leave the figures).
    """
    if not target_ids:
        return RollupData(data_until=since, day_range=(since, since))
    ids = _ids(target_ids)
    last_hour = await _latest(ids, "h")
    last_day = await _latest(ids, "d")
    data_until = min(until, last_hour + HOUR) if last_hour is not None else since
    data_until = max(data_until, since)
    d0 = _ceil_day(since)
    d1 = min(floor_day(data_until), last_day + DAY) if last_day is not None else d0
    d1 = max(d1, d0)
    out = RollupData(data_until=data_until, day_range=(d0, d1))
    # Hour-read ranges for every target: before the first whole day, after the last one.
    edges = [(floor_hour(since), min(d0, data_until)), (d1, data_until)]
    edges = [(a, b) for a, b in edges if a < b]

    day_where = f"r.span = 'd' AND r.target_id IN ({ids}) AND r.hour >= ? AND r.hour < ?"
    for row in await fetch(
        f"SELECT r.target_id AS t, r.region AS region, COUNT(*) AS n FROM result_rollups r "  # noqa: S608
        f"WHERE {day_where} AND r.checks > 0 GROUP BY r.target_id, r.region",
        [d0, d1],
    ):
        out.days[(int(row["t"]), row["region"])] = int(row["n"])
    for row in await fetch(
        f"SELECT r.target_id AS t, COUNT(DISTINCT r.hour) AS n FROM result_rollups r "  # noqa: S608
        f"WHERE {day_where} AND r.checks > 0 GROUP BY r.target_id",
        [d0, d1],
    ):
        out.target_days[int(row["t"])] = int(row["n"])

    # Latency histograms, merged in SQL: whole days plus the edge hours (whole hours).
    edge_sql = " OR ".join("(r.span = 'h' AND r.hour >= ? AND r.hour < ?)" for _ in edges)
    hist_where = f"r.target_id IN ({ids}) AND ((r.span = 'd' AND r.hour >= ? AND r.hour < ?)"
    hist_where += f" OR {edge_sql})" if edges else ")"
    for row in await fetch(
        "SELECT r.target_id AS t, r.region AS region, j.key AS bucket, "  # noqa: S608
        "SUM(CAST(j.value AS INTEGER)) AS n "
        f"FROM result_rollups r, {json_each()} j WHERE {hist_where} "
        "GROUP BY r.target_id, r.region, j.key",
        [d0, d1, *(v for e in edges for v in e)],
    ):
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
    return out


def utc_days(start: datetime, end: datetime) -> set[datetime]:
    """The UTC days that [start, end) touches."""
    days, day = set(), floor_day(start)
    while day < end:
        days.add(day)
        day += timedelta(days=1)
    return days
