"""Parts of the public page beyond statuses and bars: the 24-hour response times (hourly
rollups, never the results table), scheduled maintenance, and the default text of the
incidents monitoring opened, shown automatically when the page says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from api.maintenance.models import MaintenanceWindow
from api.maintenance.service import covers, occurrences
from api.results.rollups import floor_hour
from api.results.sql import as_datetime, fetch
from api.statuspages.models import StatusPage, StatusPageComponent, UpdateState
from api.statuspages.view import PublicMaintenance, PublicUpdate, ResponsePoint

RESPONSE_HOURS = 24
MAINTENANCE_AHEAD = timedelta(days=30)
MAX_MAINTENANCE = 20
INVESTIGATING_TITLE = "Investigating"
RESOLVED_TITLE = "Resolved"


def rollup_filter(
    page: StatusPage, target_ids: set[int], *, since: datetime
) -> tuple[str, list[Any]]:
    """The page's rollup rows from `since`: its targets, in the regions it shows.
    Returns the condition after `hour >= ?` and its parameters (since first)."""
    ids = sorted(target_ids)
    where = f"target_id IN ({', '.join('?' * len(ids))})"
    params: list[Any] = [since, *ids]
    if page.regions:
        where += f" AND region IN ({', '.join('?' * len(page.regions))})"
        params += list(page.regions)
    return where, params


async def response_times(
    page: StatusPage,
    components: list[StatusPageComponent],
    target_ids: set[int],
    now: datetime,
) -> dict[int, tuple[float | None, list[ResponsePoint]]]:
    """Per component: the average response time of the last 24 hours and one point per
    hour (oldest first, the current hour last), from the hourly rollups (one query)."""
    first = floor_hour(now) - timedelta(hours=RESPONSE_HOURS - 1)
    hours = [first + timedelta(hours=i) for i in range(RESPONSE_HOURS)]
    sums: dict[tuple[int, datetime], list[float]] = {}
    if target_ids:
        where, params = rollup_filter(page, target_ids, since=first)
        rows = await fetch(
            "SELECT target_id, hour, SUM(sum_ms) AS sum_ms, SUM(timed_checks) AS timed "  # noqa: S608 (placeholders only)
            f"FROM result_rollups WHERE span = 'h' AND hour >= ? AND {where} "
            "GROUP BY target_id, hour",
            params,
        )
        for row in rows:
            key = (int(row["target_id"]), floor_hour(as_datetime(row["hour"])))
            acc = sums.setdefault(key, [0.0, 0.0])
            acc[0] += float(row["sum_ms"] or 0.0)
            acc[1] += float(row["timed"] or 0)
    out: dict[int, tuple[float | None, list[ResponsePoint]]] = {}
    for c in components:
        ids = [t for t in c.target_ids if t in target_ids]
        total_ms, total_n = 0.0, 0.0
        points = []
        for hour in hours:
            ms = sum(sums[(t, hour)][0] for t in ids if (t, hour) in sums)
            n = sum(sums[(t, hour)][1] for t in ids if (t, hour) in sums)
            total_ms, total_n = total_ms + ms, total_n + n
            points.append(ResponsePoint(hour=hour, average_ms=round(ms / n, 1) if n else None))
        out[c.id] = (round(total_ms / total_n, 1) if total_n else None, points)
    return out


async def maintenance_windows(workspace_id: int, now: datetime) -> list[MaintenanceWindow]:
    """The workspace's windows that are not over (weekly ones may recur)."""
    return await MaintenanceWindow.filter(workspace_id=workspace_id).filter(
        Q(weekly=True) | Q(ends_at__gt=now - timedelta(days=8))
    )


def scheduled_maintenance(
    windows: list[MaintenanceWindow],
    components: list[StatusPageComponent],
    target_ids: set[int],
    now: datetime,
) -> list[PublicMaintenance]:
    """Occurrences in progress or starting within MAINTENANCE_AHEAD that touch a component
    (a window without a target touches every one). Window names are internal notes: not
    shown."""
    found = []
    for window in windows:
        if window.target_id is None:
            touched = [c.id for c in components]
        elif window.target_id in target_ids:
            touched = [c.id for c in components if window.target_id in c.target_ids]
        else:
            touched = []
        if not touched:
            continue
        for start, end in occurrences(window, now, now + MAINTENANCE_AHEAD):
            found.append(PublicMaintenance(start, end, touched, in_progress=start <= now))
    found.sort(key=lambda m: (m.starts_at, m.ends_at))
    return found[:MAX_MAINTENANCE]


def held_for_maintenance(
    windows: list[MaintenanceWindow], target_id: int, started_at: datetime
) -> bool:
    """An incident that opened inside a maintenance window of its target is not news."""
    return any(covers(w, started_at) for w in windows if w.target_id in (None, target_id))


def default_updates(
    names: list[str], started_at: datetime, resolved_at: datetime | None
) -> list[PublicUpdate]:
    """The text of an incident monitoring opened, before (and beside) members' updates."""
    what = ", ".join(names) if names else "this service"
    updates = []
    if resolved_at is not None:
        updates.append(
            PublicUpdate(
                RESOLVED_TITLE,
                f"{what} is operational again. We keep monitoring it.",
                UpdateState.RESOLVED,
                resolved_at,
            )
        )
    updates.append(
        PublicUpdate(
            INVESTIGATING_TITLE,
            f"We are investigating an outage affecting {what}. "
            "We will post updates here as we learn more.",
            UpdateState.INVESTIGATING,
            started_at,
        )
    )
    return updates  # newest first, like members' updates


@dataclass(frozen=True)
class FeedEntry:
    path: str  # under the page's URL: unique and stable
    title: str
    message: str
    state: UpdateState
    posted_at: datetime
