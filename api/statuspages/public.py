"""The public view of a status page: finding it (slug, verified domain, password), and
what visitors read, derived from the targets' current status, the rollups, incidents,
maintenance windows and members' updates."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from api.accounts.passwords import dummy_verify, verify_password
from api.core import clock
from api.incidents.models import Incident
from api.maintenance.models import MaintenanceWindow
from api.maintenance.service import occurrences, targets_in_maintenance
from api.results.sql import as_datetime, fetch
from api.settings import Settings
from api.statuspages import content
from api.statuspages.models import StatusPage, StatusPageComponent, StatusUpdate, Visibility
from api.statuspages.view import (
    PublicComponent,
    PublicIncident,
    PublicPage,
    PublicUpdate,
    UptimeDay,
    derive,
    groups_of,
    worst,
)
from api.targets.models import Target, TargetStatus

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
BAR_DAYS = 90
RECENT_INCIDENTS = timedelta(days=7)
MAX_PUBLIC_UPDATES = 50


async def page_components(page_id: int) -> list[StatusPageComponent]:
    return await StatusPageComponent.filter(page_id=page_id).order_by("position")


async def find_page(*, slug: str | None = None, host: str | None = None) -> StatusPage | None:
    """The page at a slug, or at a VERIFIED custom domain (`host` already normalised by
    api.statuspages.domains.host_of); no password check."""
    if slug is not None:
        return await StatusPage.get_or_none(slug=slug) if SLUG.fullmatch(slug) else None
    if host is not None:
        return await StatusPage.get_or_none(verified_domain=host)
    return None


async def admit(settings: Settings, page: StatusPage, password: str | None) -> bool:
    """Whether a visitor with `password` may read the page."""
    if page.visibility is Visibility.PUBLIC:
        return True
    if not password or page.password_hash is None:
        return False
    return await verify_password(settings, page.password_hash, password)


async def refuse_unknown(settings: Settings, password: str | None) -> None:
    """An unknown page given a password costs one argon2 verification too (no
    enumeration by timing)."""
    if password:
        await dummy_verify(settings, password)


async def open_page(settings: Settings, slug: str, password: str | None) -> StatusPage | None:
    """The page, when it exists and the password (if it has one) is right; else None.

    An unknown slug and a wrong password answer alike; a password given for an unknown
    slug still costs one argon2 verification (no enumeration by timing).
    """
    page = await find_page(slug=slug or "")
    if page is None:
        await refuse_unknown(settings, password)
        return None
    return page if await admit(settings, page, password) else None


def _public_update(row: StatusUpdate) -> PublicUpdate:
    return PublicUpdate(row.title, row.message, row.state, row.posted_at)


async def public_view(page: StatusPage) -> PublicPage:
    now = clock.now()
    components = await page_components(page.id)
    all_ids = {tid for c in components for tid in c.target_ids}
    statuses = dict(
        await Target.filter(id__in=list(all_ids), workspace_id=page.workspace_id).values_list(
            "id", "status"
        )
    )
    target_ids = set(statuses)
    maintenance = await targets_in_maintenance(list(statuses), now)
    bars = await _uptime_bars(page, components, target_ids, now)
    responses = await content.response_times(page, components, target_ids, now)
    public = []
    for c in components:
        ids = [t for t in c.target_ids if t in statuses]
        in_maint = bool(ids) and all(t in maintenance for t in ids)
        counted = [TargetStatus(statuses[t]) for t in ids if t not in maintenance]
        average, points = responses[c.id]
        public.append(
            PublicComponent(
                id=c.id,
                name=c.name,
                description=c.description,
                status=derive(counted, in_maint),
                bars=bars[c.id],
                group=c.group,
                response_time_ms=average,
                response_times=points,
            )
        )
    updates = (
        await StatusUpdate.filter(page_id=page.id)
        .order_by("-posted_at", "-id")
        .limit(MAX_PUBLIC_UPDATES)
    )
    by_incident: dict[int, list[PublicUpdate]] = defaultdict(list)
    for u in updates:
        if u.incident_id is not None:
            by_incident[u.incident_id].append(_public_update(u))
    windows = await content.maintenance_windows(page.workspace_id, now)
    incidents = []
    for row, shown_components, auto in await _incidents(
        page, components, target_ids, now, windows, with_updates=set(by_incident)
    ):
        texts = list(by_incident.get(row.id, []))
        if auto:
            names = [c.name for c in shown_components]
            texts += content.default_updates(names, row.started_at, row.resolved_at)
        texts.sort(key=lambda u: u.posted_at, reverse=True)
        incidents.append(
            PublicIncident(
                component_ids=[c.id for c in shown_components],
                started_at=row.started_at,
                resolved_at=row.resolved_at,
                updates=texts,
            )
        )
    return PublicPage(
        title=page.title,
        description=page.description,
        logo_url=page.logo_url,
        status=worst([c.status for c in public]),
        components=public,
        incidents=incidents,
        updates=[_public_update(u) for u in updates],
        groups=groups_of(public),
        maintenance=content.scheduled_maintenance(windows, components, target_ids, now),
    )


async def _uptime_bars(
    page: StatusPage,
    components: list[StatusPageComponent],
    target_ids: set[int],
    now: datetime,
) -> dict[int, list[UptimeDay]]:
    """BAR_DAYS daily bars per component, from the daily rollups only (one query)."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=BAR_DAYS - 1)
    per_target: dict[tuple[int, date], list[int]] = {}
    if target_ids:
        where, params = content.rollup_filter(page, target_ids, since=first)
        # Summed over regions in SQL; the ~90 distinct day values are parsed once each.
        rows = await fetch(
            "SELECT target_id, hour, SUM(checks) AS checks, SUM(failures) AS failures "  # noqa: S608 (placeholders only)
            f"FROM result_rollups WHERE span = 'd' AND hour >= ? AND {where} "
            "GROUP BY target_id, hour",
            params,
        )
        day_of: dict[Any, date] = {}
        for row in rows:
            raw = row["hour"]
            if raw not in day_of:
                day_of[raw] = as_datetime(raw).astimezone(UTC).date()
            acc = per_target.setdefault((int(row["target_id"]), day_of[raw]), [0, 0])
            acc[0] += int(row["checks"] or 0)
            acc[1] += int(row["failures"] or 0)
    days = [(first + timedelta(days=i)).date() for i in range(BAR_DAYS)]
    planned = await _maintenance_days(page.workspace_id, first, now)
    out: dict[int, list[UptimeDay]] = {}
    for c in components:
        ids = [t for t in c.target_ids if t in target_ids]
        marked = planned.get(None, set()).union(*(planned.get(t, set()) for t in ids))
        bars = []
        for d in days:
            counts = [per_target[(t, d)] for t in ids if (t, d) in per_target]
            checks = sum(n[0] for n in counts)
            failures = sum(n[1] for n in counts)
            bars.append(
                UptimeDay(
                    day=d,
                    uptime=(1 - failures / checks) if checks else None,
                    maintenance=d in marked,
                )
            )
        out[c.id] = bars
    return out


async def _maintenance_days(
    workspace_id: int, since: datetime, until: datetime
) -> dict[int | None, set[date]]:
    """The UTC days touched by maintenance windows, per target id (None: every target)."""
    windows = await MaintenanceWindow.filter(
        workspace_id=workspace_id, starts_at__lte=until
    ).filter(Q(weekly=True) | Q(ends_at__gt=since))
    out: dict[int | None, set[date]] = defaultdict(set)
    for window in windows:
        for start, end in occurrences(window, since, until):
            day = max(start, since).astimezone(UTC).date()
            last = (min(end, until) - timedelta(microseconds=1)).astimezone(UTC).date()
            while day <= last:
                out[window.target_id].add(day)
                day += timedelta(days=1)
    return out


async def _incidents(
    page: StatusPage,
    components: list[StatusPageComponent],
    target_ids: set[int],
    now: datetime,
    windows: list[MaintenanceWindow],
    *,
    with_updates: set[int],
) -> list[tuple[Incident, list[StatusPageComponent], bool]]:
    """Open incidents and those resolved in the last RECENT_INCIDENTS, newest first, that
    the page shows: those members posted about, and (when the page shows monitoring's
    incidents automatically) the others, except those opened inside a maintenance window.
    Each with its components and whether it gets the default text."""
    rows = (
        await Incident.filter(target_id__in=list(target_ids), workspace_id=page.workspace_id)
        .filter(Q(resolved_at=None) | Q(resolved_at__gte=now - RECENT_INCIDENTS))
        .order_by("-started_at")
        .limit(50)
    )
    shown = []
    for row in rows:
        auto = page.auto_show_incidents and not content.held_for_maintenance(
            windows, row.target_id, row.started_at
        )
        if auto or row.id in with_updates:
            affected = [c for c in components if row.target_id in c.target_ids]
            shown.append((row, affected, auto))
    return shown


async def feed_entries(page: StatusPage) -> list[content.FeedEntry]:
    """The Atom feed's entries, newest first: members' updates, and the default texts of
    the incidents the page shows automatically."""
    now = clock.now()
    entries = [
        content.FeedEntry(f"updates/{u.id}", u.title, u.message, u.state, u.posted_at)
        for u in await StatusUpdate.filter(page_id=page.id)
        .order_by("-posted_at", "-id")
        .limit(MAX_PUBLIC_UPDATES)
    ]
    if page.auto_show_incidents:
        components = await page_components(page.id)
        wanted = list({t for c in components for t in c.target_ids})
        rows = await Target.filter(id__in=wanted, workspace_id=page.workspace_id).only("id")
        target_ids = {t.id for t in rows}
        windows = await content.maintenance_windows(page.workspace_id, now)
        for row, affected, auto in await _incidents(
            page, components, target_ids, now, windows, with_updates=set()
        ):
            if not auto or not affected:
                continue
            # Named by its first component and start (no internal incident id).
            key = f"incidents/{affected[0].id}-{int(row.started_at.timestamp() * 1000)}"
            names = [c.name for c in affected]
            for text in content.default_updates(names, row.started_at, row.resolved_at):
                entries.append(
                    content.FeedEntry(
                        f"{key}/{text.state.value.lower()}",
                        text.title,
                        text.message,
                        text.state,
                        text.posted_at,
                    )
                )
    entries.sort(key=lambda e: e.posted_at, reverse=True)
    return entries[:MAX_PUBLIC_UPDATES]
