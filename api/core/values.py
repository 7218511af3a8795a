"""Safe parsing of untrusted scalar values: database integer ids and datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from api.core.errors import Invalid

MAX_DB_INT = 2**63 - 1


def db_int(value: Any) -> int | None:
    """`value` as a database integer id (ASCII digits, 0 < n < 2**63), else None."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_DB_INT else None


def db_ints(values: Any) -> list[int | None]:
    """`db_int` of each value, in order (None where a value is not an id)."""
    return [db_int(v) for v in values]


@overload
def aware(value: datetime, field: str) -> datetime: ...
@overload
def aware(value: datetime | None, field: str) -> datetime | None: ...
def aware(value: datetime | None, field: str) -> datetime | None:
    """`value` in UTC; Invalid naming `field` when naive or outside EARLIEST..LATEST.

    The range keeps date arithmetic (a window's length, a year back, a day's floor) and
    comparisons between offsets clear of datetime's year 1..9999 limits: 0001-01-01T00:00
    +14:00 is a valid GraphQL DateTime that overflows once taken to UTC.
    """
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(f"Give {field} with a time zone (e.g. 2030-01-01T00:00:00Z).", field=field)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise Invalid(
            f"{field} must be between {EARLIEST.year} and {LATEST.year} (UTC).", field=field
        )
    return utc


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
