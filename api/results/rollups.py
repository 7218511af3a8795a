"""Hourly, daily and monthly rollups of check results (the input of long-window statistics).

Rows are rebuilt idempotently (delete + insert), so re-running an hour after late
results arrive is safe. Maintenance results are left out, as from every statistic.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from api.core import clock
from api.results import buckets
from api.results.sql import as_datetime, fetch
from api.targets.models import ResultRollup

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LOOKBACK = timedelta(hours=2)  # hours re-rolled each run, for results that arrive late
MAX_HOURS_PER_RUN = 24 * 14
WATERMARK_KEY = "hitflow:rollup:through"
# Months rolled into monthly rows by the backfill (the oldest so far): months rolled up
# before monthly rollups existed get theirs a few per run, newest first, once.
MONTHS_BACKFILL_KEY = "hitflow:rollup:months-backfilled-to"
BACKFILL_MONTHS_PER_RUN = 2

_BUCKET = buckets.bucket_sql("response_time_ms")


def floor_hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(at: datetime) -> datetime:
    return floor_hour(at).replace(hour=0)


def floor_month(at: datetime) -> datetime:
    return floor_day(at).replace(day=1)


def next_month(at: datetime) -> datetime:
    start = floor_month(at)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def previous_month(at: datetime) -> datetime:
    return floor_month(floor_month(at) - DAY)


def _scope(target_id: int | None) -> tuple[str, list[Any]]:
    return ("AND target_id = ?", [target_id]) if target_id is not None else ("", [])


async def rollup_hour(target_id: int | None, hour: datetime) -> int:
    """(Re)build the hourly rollups of `hour` for one target or all; returns rows written."""
    start = floor_hour(hour)
    where, params = _scope(target_id)
    rows = await fetch(
        f"SELECT target_id, region, {_BUCKET} AS bucket, COUNT(*) AS checks, "  # noqa: S608 (constants and ? params only)
        "SUM(CASE WHEN status = 'DOWN' THEN 1 ELSE 0 END) AS failures, "
        "SUM(response_time_ms) AS sum_ms, COUNT(response_time_ms) AS timed "
        "FROM check_results WHERE checked_at >= ? AND checked_at < ? AND in_maintenance = ? "
        "AND status <> 'INCONCLUSIVE' "  # not a verdict: counts as no check
        f"{where} GROUP BY target_id, region, bucket",
        [start, start + HOUR, False, *params],
    )
    return await _replace("h", start, target_id, _combine(rows, histogram_rows=True))


async def rollup_day(target_id: int | None, day: datetime) -> int:
    """(Re)build the daily rollups of `day` from its hourly rollups."""
    start = floor_day(day)
    where, params = _scope(target_id)
    rows = await fetch(
        "SELECT target_id, region, checks, failures, sum_ms, timed_checks AS timed, histogram "  # noqa: S608
        "FROM result_rollups WHERE span = 'h' AND hour >= ? AND hour < ? "
        f"{where}",
        [start, start + DAY, *params],
    )
    return await _replace("d", start, target_id, _combine(rows, histogram_rows=False))


async def rollup_month(target_id: int | None, month: datetime) -> int:
    """(Re)build the monthly rollups of the UTC month of `month` from its daily rollups.

    Sums and histograms are those of its daily rows; `day_mask` marks the days whose daily
    row has checks, so an SLA report reads one row where it read up to 31.
    """
    start = floor_month(month)
    where, params = _scope(target_id)
    rows = await fetch(
        "SELECT target_id, region, hour, checks, failures, sum_ms, timed_checks AS timed, "  # noqa: S608
        "histogram FROM result_rollups WHERE span = 'd' AND hour >= ? AND hour < ? "
        f"{where}",
        [start, next_month(start), *params],
    )
    values = _combine(rows, histogram_rows=False)
    for row in rows:
        if int(row["checks"] or 0) > 0:
            acc = values[(int(row["target_id"]), row["region"])]
            acc["day_mask"] = acc.get("day_mask", 0) | 1 << (as_datetime(row["hour"]).day - 1)
    return await _replace("m", start, target_id, values)


def _combine(
    rows: list[dict[str, Any]], *, histogram_rows: bool
) -> dict[tuple[int, str], dict[str, Any]]:
    out: dict[tuple[int, str], dict[str, Any]] = defaultdict(
        lambda: {"checks": 0, "failures": 0, "sum_ms": 0.0, "timed": 0, "histogram": {}}
    )
    for row in rows:
        acc = out[(int(row["target_id"]), row["region"])]
        acc["checks"] += int(row["checks"] or 0)
        acc["failures"] += int(row["failures"] or 0)
        acc["sum_ms"] += float(row["sum_ms"] or 0.0)
        acc["timed"] += int(row["timed"] or 0)
        if histogram_rows:
            if row["bucket"] is not None:
                buckets.merge(acc["histogram"], {int(row["bucket"]): int(row["timed"])})
        else:
            buckets.merge(acc["histogram"], buckets.load(row["histogram"]))
    return out


async def _replace(
    span: str, start: datetime, target_id: int | None, values: dict[tuple[int, str], dict[str, Any]]
) -> int:
    async with in_transaction():
        query = ResultRollup.filter(span=span, hour=start)
        if target_id is not None:
            query = query.filter(target_id=target_id)
        await query.delete()
        if values:
            await ResultRollup.bulk_create(
                [
                    ResultRollup(
                        target_id=tid,
                        region=region,
                        span=span,
                        hour=start,
                        checks=acc["checks"],
                        failures=acc["failures"],
                        sum_ms=acc["sum_ms"],
                        timed_checks=acc["timed"],
                        histogram=buckets.dump(acc["histogram"]),
                        day_mask=acc.get("day_mask", 0),
                    )
                    for (tid, region), acc in values.items()
                ],
                batch_size=1000,
            )
    return len(values)


async def _start_hour(redis: Any | None) -> datetime | None:
    if redis is not None:
        mark = await redis.get(WATERMARK_KEY)
        if mark:
            return datetime.fromtimestamp(float(mark), UTC) - LOOKBACK
    rows = await fetch("SELECT MAX(hour) AS m FROM result_rollups WHERE span = 'h'")
    if rows and rows[0]["m"] is not None:
        return as_datetime(rows[0]["m"]) - LOOKBACK
    # First run: from the oldest result (a one-time scan).
    rows = await fetch("SELECT MIN(checked_at) AS m FROM check_results")
    return as_datetime(rows[0]["m"]) if rows and rows[0]["m"] is not None else None


async def rollup_pending(now: datetime | None = None, *, redis: Any | None = None) -> int:
    """Roll up every complete hour not yet rolled (plus a short lookback), then their days
    and, once complete, their months.

    Returns the number of hours processed. The watermark lives in Redis when given,
    else it is read back from the newest hourly rollup.
    """
    now = now or clock.now()
    end = floor_hour(now)  # hours before this one are complete
    if redis is not None:
        await _backfill_months(redis, end)
    start = await _start_hour(redis)
    if start is None:
        return 0
    hour = max(floor_hour(start), end - timedelta(days=366))
    done = 0
    days: set[datetime] = set()
    while hour < end and done < MAX_HOURS_PER_RUN:
        await rollup_hour(None, hour)
        days.add(floor_day(hour))
        hour += HOUR
        done += 1
    months: set[datetime] = set()
    for day in sorted(days):
        if day + DAY <= hour:  # only complete, fully rolled days
            await rollup_day(None, day)
            months.add(floor_month(day))
    for month in sorted(months):
        if next_month(month) <= hour:  # complete months (again when a day was re-rolled)
            await rollup_month(None, month)
    if redis is not None and done:
        await redis.set(WATERMARK_KEY, str(hour.timestamp()))
    return done


async def _backfill_months(redis: Any, end: datetime) -> None:
    """Monthly rows of the complete months of the last year, from their daily rows, for
    data rolled up before monthly rollups existed (idempotent; a few months per run)."""
    mark = await redis.get(MONTHS_BACKFILL_KEY)
    month = datetime.fromtimestamp(float(mark), UTC) if mark else floor_month(end)
    oldest = floor_month(end - timedelta(days=366))
    for _ in range(BACKFILL_MONTHS_PER_RUN):
        month = previous_month(month)
        if month < oldest:
            return
        await rollup_month(None, month)
        await redis.set(MONTHS_BACKFILL_KEY, str(month.timestamp()))
