"""The `check_results` table partitioned by time on PostgreSQL (issue 13, point 4).

On PostgreSQL `check_results` is a table PARTITIONED BY RANGE (checked_at):

- `check_results_legacy`: the rows that existed when migration 0005 converted the table,
  attached as one partition `[MINVALUE, bound)` (a CHECK constraint added first makes the
  ATTACH skip its validation scan);
- `check_results_pYYYYMMDD`: one partition per `HITFLOW_RESULTS_PARTITION_DAYS` days,
  aligned on days since 1970-01-01, created `HITFLOW_RESULTS_PARTITIONS_AHEAD` spans
  ahead by `ensure_partitions` (hourly cron of the core worker, and `hitflow migrate` /
  `hitflow up`);
- `check_results_default`: whatever falls outside every range (results from far in the
  past after their partition was dropped, or from beyond the partitions made ahead).

Unique keys must include the partition key: (id, checked_at) is the primary key and
(check_id, checked_at) the ingest's idempotency key. A re-sent result carries the same
checked_at, so the ingest looks duplicates up within the batch's checked_at range and
inserts with ON CONFLICT DO NOTHING.

Retention (api/privacy/retention.py) drops whole expired partitions instead of deleting
their rows one by one. SQLite keeps a plain table and row deletion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from api.core.logging import get_logger

log = get_logger(__name__)

TABLE = "check_results"
LEGACY = "check_results_legacy"
DEFAULT = "check_results_default"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAME = re.compile(r"^check_results_(p\d{8}|legacy)$")
_BOUND = re.compile(r"FROM \((.+)\) TO \((.+)\)")


def is_postgres(conn: Any | None = None) -> bool:
    conn = conn or connections.get("default")
    return bool(conn.capabilities.dialect == "postgres")


def span_start(at: datetime, days: int) -> datetime:
    """Start of the `days`-day span holding `at` (spans aligned on 1970-01-01 UTC)."""
    offset = (at.astimezone(UTC) - _EPOCH).days
    return _EPOCH + timedelta(days=offset - offset % days)


def partition_name(start: datetime) -> str:
    return f"{TABLE}_p{start.astimezone(UTC):%Y%m%d}"


def _literal(at: datetime) -> str:
    return f"'{at.astimezone(UTC).isoformat()}'"  # generated from a datetime: safe to inline


# --- Conversion (migration 0005, and the test database) ---------------------------------


async def is_partitioned(conn: Any) -> bool:
    rows = await conn.execute_query_dict(
        "SELECT c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname = current_schema()",
        [TABLE],
    )
    return bool(rows) and rows[0]["kind"] == "p"


async def partition_check_results(conn: Any, now: datetime | None = None) -> bool:
    """Convert `check_results` into a partitioned table (PostgreSQL only; idempotent).

    The existing rows stay where they are, as the legacy partition: no copy. Returns
    whether a conversion happened.
    """
    if not is_postgres(conn) or await is_partitioned(conn):
        return False
    now = now or datetime.now(UTC)
    rows = await conn.execute_query_dict(f"SELECT MAX(checked_at) AS m FROM {TABLE}")  # noqa: S608
    newest = rows[0]["m"] if rows else None
    newest = max(now, newest) if newest is not None else now
    bound = span_start(newest, 1) + timedelta(days=1)  # a whole day past every row
    constraints = await conn.execute_query_dict(
        "SELECT conname, contype::text AS kind FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype IN ('p', 'u')",
        [TABLE],
    )
    indexes = await conn.execute_query_dict(
        "SELECT indexname FROM pg_indexes WHERE tablename = $1 AND schemaname = current_schema()",
        [TABLE],
    )
    owned = {str(c["conname"]) for c in constraints}
    statements = [
        f"ALTER TABLE {TABLE} RENAME TO {LEGACY}",
        # Free the names the parent takes (index names are per schema).
        *(
            f'ALTER TABLE {LEGACY} RENAME CONSTRAINT "{name}" TO "{name}_legacy"'
            for name in sorted(owned)
        ),
        *(
            f'ALTER INDEX "{i["indexname"]}" RENAME TO "{i["indexname"]}_legacy"'
            for i in indexes
            if i["indexname"] not in owned
        ),
        f"CREATE TABLE {TABLE} (LIKE {LEGACY} INCLUDING DEFAULTS) PARTITION BY RANGE (checked_at)",
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, checked_at)",
        f"CREATE UNIQUE INDEX {TABLE}_check_id_at ON {TABLE} (check_id, checked_at)",
        f"CREATE INDEX {TABLE}_target_at ON {TABLE} (target_id, checked_at)",
        f"CREATE INDEX {TABLE}_target_region_at ON {TABLE} (target_id, region, checked_at)",
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_target_fk FOREIGN KEY (target_id) "
        "REFERENCES targets (id) ON DELETE CASCADE",
        f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id",
        f"ALTER TABLE {LEGACY} ALTER COLUMN id DROP DEFAULT",
        # Proven by a constraint first, so ATTACH does not scan the rows again.
        f"ALTER TABLE {LEGACY} ADD CONSTRAINT {LEGACY}_range "
        f"CHECK (checked_at IS NOT NULL AND checked_at < {_literal(bound)})",
        # The old unique keys (id; check_id) give way to the parent's (a partition has
        # one primary key: the parent's, built on the legacy rows by ATTACH).
        *(f'ALTER TABLE {LEGACY} DROP CONSTRAINT "{name}_legacy"' for name in sorted(owned)),
        f"ALTER TABLE {TABLE} ATTACH PARTITION {LEGACY} "
        f"FOR VALUES FROM (MINVALUE) TO ({_literal(bound)})",
        f"ALTER TABLE {LEGACY} DROP CONSTRAINT {LEGACY}_range",
        f"CREATE TABLE {DEFAULT} PARTITION OF {TABLE} DEFAULT",
    ]
    for sql in statements:
        await conn.execute_script(sql)
    log.info("check_results_partitioned", legacy_bound=bound.isoformat())
    return True


# --- Partitions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: MINVALUE
    end: datetime


def _parse_bound(value: str) -> datetime | None:
    value = value.strip()
    if value.upper() == "MINVALUE":
        return None
    return datetime.fromisoformat(value.strip("'")).astimezone(UTC)


async def list_partitions(conn: Any | None = None) -> list[Partition]:
    """The range partitions of check_results (not the default one), oldest first."""
    conn = conn or connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = $1::regclass",
        [TABLE],
    )
    out: list[Partition] = []
    for row in rows:
        match = _BOUND.search(str(row["bound"]))
        if not match:
            continue  # the default partition
        end = _parse_bound(match.group(2))
        assert end is not None
        out.append(Partition(str(row["name"]), _parse_bound(match.group(1)), end))
    out.sort(key=lambda p: (p.end, p.name))
    return out


async def ensure_partitions(now: datetime, days: int, ahead: int) -> list[str]:
    """Create the partitions of the current span and `ahead` spans after it (idempotent).

    A range already covered (by another partition, e.g. the legacy one) is skipped; rows
    that went to the default partition for a new range are moved into it. Returns the
    names created. No-op on SQLite.
    """
    conn = connections.get("default")
    if not is_postgres(conn) or not await is_partitioned(conn):
        return []
    existing = await list_partitions(conn)
    frontier = max((p.end for p in existing), default=None)
    created: list[str] = []
    start = span_start(now, days)
    for _ in range(ahead + 1):
        end = start + timedelta(days=days)
        lo = max(start, frontier) if frontier is not None else start
        if lo < end and not any(
            (p.start is None or p.start < end) and lo < p.end for p in existing
        ):
            await _create(lo, end)
            created.append(partition_name(lo))
        start = end
    if created:
        log.info("check_results_partitions_created", partitions=created)
    return created


async def _create(start: datetime, end: datetime) -> None:
    name = partition_name(start)
    lo, hi = _literal(start), _literal(end)
    async with in_transaction() as conn:
        await conn.execute_script(
            f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS);"  # noqa: S608 (names, dates)
            f"ALTER TABLE {name} ADD CONSTRAINT {name}_range "
            f"CHECK (checked_at IS NOT NULL AND checked_at >= {lo} AND checked_at < {hi});"
            # Rows the default partition took for this range move over, else ATTACH fails.
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE checked_at >= {lo} "
            f"AND checked_at < {hi} RETURNING *) INSERT INTO {name} SELECT * FROM moved;"
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi});"
            f"ALTER TABLE {name} DROP CONSTRAINT {name}_range"
        )


async def partition_rows(name: str) -> int:
    rows = await connections.get("default").execute_query_dict(
        f"SELECT COUNT(*) AS n FROM {name}"  # noqa: S608 (a name from the catalog)
    )
    return int(rows[0]["n"])


class PartitionChanged(Exception):
    """The partition gained or lost rows since they were counted: nothing was dropped."""


async def drop_partition(part: Partition, kept_ids: list[int], rows: int) -> None:
    """Drop `part`; the rows `kept_ids` survive in a rebuilt partition of the same range.

    One transaction: the partition is locked against writes (a late result) first and
    must still hold the `rows` rows the caller sorted into kept and expired, the kept
    rows are copied into a new table, the old partition is dropped and the new one
    attached in its place (a CHECK constraint spares the ATTACH a scan).
    """
    if _NAME.match(part.name) is None:
        raise ValueError(f"not a range partition of {TABLE}: {part.name}")
    async with in_transaction() as conn:
        await conn.execute_script(
            f"SET LOCAL lock_timeout = '5s'; LOCK TABLE {part.name} IN EXCLUSIVE MODE"
        )
        now_rows = await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM {part.name}")  # noqa: S608 (a catalog name)
        if int(now_rows[0]["n"]) != rows:
            raise PartitionChanged(part.name)
        if not kept_ids:
            await conn.execute_script(f"DROP TABLE {part.name}")
            return
        new = f"{part.name}_kept"
        lo = "MINVALUE" if part.start is None else _literal(part.start)
        lower = "" if part.start is None else f" AND checked_at >= {lo}"
        hi = _literal(part.end)
        await conn.execute_script(
            f"CREATE TABLE {new} (LIKE {TABLE} INCLUDING DEFAULTS);"
            f"ALTER TABLE {new} ADD CONSTRAINT {new}_range "
            f"CHECK (checked_at IS NOT NULL{lower} AND checked_at < {hi})"
        )
        await conn.execute_query(
            f"INSERT INTO {new} SELECT * FROM {part.name} WHERE id = ANY($1::bigint[])",  # noqa: S608
            [kept_ids],
        )
        await conn.execute_script(
            f"DROP TABLE {part.name};"
            f"ALTER TABLE {new} RENAME TO {part.name};"
            f"ALTER TABLE {TABLE} ATTACH PARTITION {part.name} FOR VALUES FROM ({lo}) TO ({hi});"
            f"ALTER TABLE {part.name} DROP CONSTRAINT {new}_range"
        )
