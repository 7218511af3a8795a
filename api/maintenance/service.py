"""Maintenance windows: whether a target is in one, and creating / listing / deleting them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from api.auth.principal import Principal
from api.core.errors import Invalid, LimitReached, NotFound
from api.core.orm import column
from api.core.values import aware
from api.maintenance.models import MaintenanceWindow
from api.notifications.service import require_writer
from api.targets.models import Target

MAX_WINDOWS_PER_WORKSPACE = 200
MAX_LENGTH = timedelta(days=31)


def visible_to(principal: Principal) -> QuerySet[MaintenanceWindow]:
    return MaintenanceWindow.filter(workspace_id__in=principal.workspace_ids)


def covers(window: MaintenanceWindow, at: datetime) -> bool:
    """Whether `at` falls inside the window (or one of its weekly occurrences)."""
    if at < window.starts_at:
        return False
    if not window.weekly:
        return at < window.ends_at
    if window.until is not None and at >= window.until:
        return False
    length = window.ends_at - window.starts_at
    weekdays = window.weekdays or [window.starts_at.weekday()]
    start_time = window.starts_at.timetz()
    for back in range(0, 8):
        day = (at - timedelta(days=back)).date()
        if day.weekday() not in weekdays:
            continue
        start = datetime.combine(day, start_time)
        if start >= window.starts_at and start <= at < start + length:
            return True
    return False


def occurrences(
    window: MaintenanceWindow, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The [start, end) occurrences of the window that overlap [since, until)."""
    if not window.weekly:
        if window.starts_at < until and window.ends_at > since:
            return [(window.starts_at, window.ends_at)]
        return []
    length = window.ends_at - window.starts_at
    weekdays = window.weekdays or [window.starts_at.weekday()]
    found = []
    day = (since - length).date() - timedelta(days=1)
    while day <= until.date():
        start = datetime.combine(day, window.starts_at.timetz())
        if (
            day.weekday() in weekdays
            and start >= window.starts_at
            and (window.until is None or start < window.until)
            and start < until
            and start + length > since
        ):
            found.append((start, start + length))
        day += timedelta(days=1)
    return found


async def mark_results(now: datetime, lookback: timedelta = timedelta(minutes=15)) -> int:
    """Flag the check results taken inside a window (stats exclude them).

    Runs after each ingest and every minute; it looks back a little so results that
    arrive late are still flagged.
    """
    from api.targets.models import CheckResult

    since = now - lookback
    windows = await MaintenanceWindow.filter(starts_at__lte=now).filter(
        Q(weekly=True) | Q(ends_at__gte=since)
    )
    updated = 0
    for window in windows:
        spans = occurrences(window, since, now)
        if not spans:
            continue
        if window.target_id is not None:
            target_ids = [window.target_id]
        else:
            target_ids = await column(Target.filter(workspace_id=window.workspace_id), "id")
        for start, end in spans:
            updated += await CheckResult.filter(
                target_id__in=target_ids,
                checked_at__gte=start,
                checked_at__lt=end,
                in_maintenance=False,
            ).update(in_maintenance=True)
    return updated


async def _windows(target_ids: Iterable[int], at: datetime) -> list[tuple[int, MaintenanceWindow]]:
    ids = list(target_ids)
    targets = await Target.filter(id__in=ids).values_list("id", "workspace_id")
    if not targets:
        return []
    workspaces = {ws for _, ws in targets}
    windows = await MaintenanceWindow.filter(
        Q(target_id__in=ids) | Q(target_id=None, workspace_id__in=list(workspaces)),
        starts_at__lte=at,
    ).filter(Q(weekly=True) | Q(ends_at__gt=at))
    pairs = []
    for target_id, ws in targets:
        for window in windows:
            if window.target_id == target_id or (
                window.target_id is None and window.workspace_id == ws
            ):
                pairs.append((target_id, window))
    return pairs


async def targets_in_maintenance(target_ids: Iterable[int], at: datetime) -> set[int]:
    """The targets among `target_ids` inside a maintenance window at `at` (one query pair)."""
    return {tid for tid, window in await _windows(target_ids, at) if covers(window, at)}


async def in_maintenance(target_id: int, at: datetime) -> bool:
    """For the ingest: mark CheckResult.in_maintenance, and for alerting: hold notices back."""
    return target_id in await targets_in_maintenance([target_id], at)


async def create_window(
    principal: Principal,
    *,
    workspace_id: int,
    target_id: int | None,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    weekly: bool = False,
    weekdays: list[int] | None = None,
    until: datetime | None = None,
) -> MaintenanceWindow:
    require_writer(principal, workspace_id, field="workspaceId")
    if (
        target_id is not None
        and not await Target.filter(id=target_id, workspace_id=workspace_id).exists()
    ):
        raise NotFound("No Target with this id in this workspace.", field="targetId")
    if len(name) > 100:
        raise Invalid("The name must have at most 100 characters.", field="name")
    # Checked, not converted: a weekly window repeats in the offset it was given in.
    aware(starts_at, "startsAt"), aware(ends_at, "endsAt")
    if ends_at <= starts_at:
        raise Invalid("endsAt must be after startsAt.", field="endsAt")
    if ends_at - starts_at > (timedelta(days=7) if weekly else MAX_LENGTH):
        raise Invalid("The window is too long.", field="endsAt")
    days = sorted(set(weekdays or []))
    if any(not 0 <= d <= 6 for d in days):
        raise Invalid("Weekdays go from 0 (Monday) to 6 (Sunday).", field="weekdays")
    if days and not weekly:
        raise Invalid("Weekdays apply to weekly windows only.", field="weekdays")
    aware(until, "until")
    if until is not None and until <= starts_at:
        raise Invalid("until must be after startsAt.", field="until")
    if (
        await MaintenanceWindow.filter(workspace_id=workspace_id).count()
        >= MAX_WINDOWS_PER_WORKSPACE
    ):
        raise LimitReached(f"At most {MAX_WINDOWS_PER_WORKSPACE} maintenance windows.")
    return await MaintenanceWindow.create(
        workspace_id=workspace_id,
        target_id=target_id,
        name=name.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        weekly=weekly,
        weekdays=days,
        until=until,
    )


async def delete_window(principal: Principal, window_id: int) -> int:
    window = await visible_to(principal).get_or_none(id=window_id)
    if window is None:
        raise NotFound("No MaintenanceWindow with this id.", field="id")
    require_writer(principal, window.workspace_id)
    await window.delete()
    return window_id
