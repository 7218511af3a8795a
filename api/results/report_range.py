"""The period of an SLA report: calendar dates or a named period, read in an IANA time zone.

A report covers [from 00:00, day after `to` 00:00) in the zone's local time, converted
to UTC with the zone's rules on each of those two days, so a calendar month is right
across a DST change (March in Europe/Paris is 743 hours, October 745).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.core.errors import Invalid

MAX_DAYS = 366
MAX_ZONE_LENGTH = 64


class Period(Enum):
    LAST_MONTH = "LAST_MONTH"
    THIS_MONTH = "THIS_MONTH"
    LAST_30_DAYS = "LAST_30_DAYS"
    LAST_12_MONTHS = "LAST_12_MONTHS"


@dataclass(frozen=True)
class ReportRange:
    zone: str
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive
    since: datetime  # UTC
    until: datetime  # UTC, exclusive; may be in the future (data stops at now)


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone `name`; Invalid (field timezone) for anything else."""
    if not name or len(name) > MAX_ZONE_LENGTH or name.startswith(("/", ".")) or ".." in name:
        raise Invalid(f"Unknown time zone {name[:MAX_ZONE_LENGTH]!r}.", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            f"Unknown time zone {name!r} (use an IANA name such as Europe/Paris).",
            field="timezone",
        ) from None


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant of `day` 00:00 in `zone` (the first instant of the day when midnight
    does not exist because a DST change skips it)."""
    at = datetime.combine(day, time(0), tzinfo=zone)
    # A skipped midnight (e.g. America/Santiago) maps forward, like the zone's clocks.
    round_trip = at.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != at.replace(tzinfo=None):
        at = datetime.combine(day, time(1), tzinfo=zone)
    return at.astimezone(UTC)


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def resolve(
    *,
    timezone: str,
    period: Period | None,
    first_day: date | None,
    last_day: date | None,
    now: datetime,
) -> ReportRange:
    """The report range from either a period or two dates (exactly one of them)."""
    zone = zone_of(timezone)
    today = now.astimezone(zone).date()
    if period is not None:
        if first_day is not None or last_day is not None:
            raise Invalid("Give either a period or from/to, not both.", field="period")
        if period is Period.LAST_MONTH:
            first_day = _month_start(today, 1)
            last_day = _month_start(today, 0) - timedelta(days=1)
        elif period is Period.THIS_MONTH:
            first_day, last_day = _month_start(today, 0), today
        elif period is Period.LAST_30_DAYS:
            first_day, last_day = today - timedelta(days=30), today - timedelta(days=1)
        else:
            first_day = _month_start(today, 12)
            last_day = _month_start(today, 0) - timedelta(days=1)
    elif first_day is None or last_day is None:
        raise Invalid("Give a period, or both from and to.", field="from")
    if last_day < first_day:
        raise Invalid("to must not be before from.", field="to")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise Invalid(f"A report covers at most {MAX_DAYS} days.", field="to")
    if first_day > today:
        raise Invalid("from is in the future.", field="from")
    if first_day.year < 2000 or last_day.year > 9000:
        raise Invalid("Dates must be between the years 2000 and 9000.", field="from")
    return ReportRange(
        zone=zone.key,
        first_day=first_day,
        last_day=last_day,
        since=local_midnight(first_day, zone),
        until=local_midnight(last_day + timedelta(days=1), zone),
    )
