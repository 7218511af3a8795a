"""Raw SQL helpers that run the same statement on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

# Hourly rollups that saw failures: a small share of the rows, which an SLA report reads
# over a whole year. A partial index holding every column the report needs (created by
# migration 0004; keep both in step) answers that without touching the table.
FAILING_HOURS_PREDICATE = "r.span = 'h' AND r.failures > 0"
FAILING_HOURS_INDEX = (
    "CREATE INDEX IF NOT EXISTS result_rollups_failing_hours ON result_rollups "
    "(target_id, hour, region, checks, failures) WHERE span = 'h' AND failures > 0"
)


def _postgres(conn: Any) -> bool:
    return conn.capabilities.dialect == "postgres"


def _param(value: Any, postgres: bool) -> Any:
    if isinstance(value, datetime) and not postgres:
        # The text form Tortoise stores in SQLite, so comparisons sort correctly.
        return value.astimezone(UTC).isoformat(" ")
    return value


async def fetch(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Run `sql` with `?` placeholders; rows as dicts."""
    conn = connections.get("default")
    postgres = _postgres(conn)
    if postgres:
        counter = iter(range(1, len(params) + 1))
        sql = re.sub(r"\?", lambda _: f"${next(counter)}", sql)
    return await conn.execute_query_dict(sql, [_param(p, postgres) for p in params])


def as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_each() -> str:
    """The table function listing r.histogram's keys and values (key, value columns)."""
    if _postgres(connections.get("default")):
        return "jsonb_each_text(r.histogram::jsonb)"
    return "json_each(r.histogram)"


def day_after(column: str) -> str:
    """SQL for `column` (a stored UTC datetime) plus one day, comparable with it."""
    if _postgres(connections.get("default")):
        return f"({column} + interval '1 day')"
    # SQLite keeps Tortoise's text form, "YYYY-MM-DD HH:MM:SS+00:00": build the same.
    return f"(strftime('%Y-%m-%d %H:%M:%S', {column}, '+1 day') || '+00:00')"


def hour_of(column: str) -> str:
    """SQL for the UTC hour `column` (a stored datetime) falls in, read by as_datetime."""
    if _postgres(connections.get("default")):
        return f"date_trunc('hour', {column} AT TIME ZONE 'UTC')"
    return f"strftime('%Y-%m-%d %H:00:00', {column})"
