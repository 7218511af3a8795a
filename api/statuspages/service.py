"""Status pages: creating and changing them (admins), posting updates (members), and the
public view, whose component statuses are derived from the targets' current status."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.accounts.passwords import dummy_verify, hash_password, verify_password
from api.auth.principal import Principal
from api.core import clock
from api.core.errors import AlreadyExists, Forbidden, Invalid, LimitReached, NotFound
from api.incidents.models import Incident
from api.maintenance.models import MaintenanceWindow
from api.maintenance.service import occurrences, targets_in_maintenance
from api.results.sql import as_datetime, fetch
from api.settings import Settings
from api.statuspages.models import (
    StatusPage,
    StatusPageComponent,
    StatusUpdate,
    UpdateState,
    Visibility,
)
from api.targets.models import Target, TargetStatus

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and newlines are fine
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_PAGES_PER_WORKSPACE = 50
MAX_COMPONENTS = 50
MAX_TARGETS_PER_COMPONENT = 50
BAR_DAYS = 90
RECENT_INCIDENTS = timedelta(days=7)
MAX_PUBLIC_UPDATES = 50


class ComponentStatus(StrEnum):
    OPERATIONAL = "OPERATIONAL"
    UNDER_MAINTENANCE = "UNDER_MAINTENANCE"
    DEGRADED_PERFORMANCE = "DEGRADED_PERFORMANCE"
    PARTIAL_OUTAGE = "PARTIAL_OUTAGE"
    MAJOR_OUTAGE = "MAJOR_OUTAGE"


# Worst last: the page's overall status is its worst component's.
SEVERITY = list(ComponentStatus)
COUNTED = (TargetStatus.UP, TargetStatus.DOWN, TargetStatus.DEGRADED)


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    description: str
    target_ids: list[int]


def visible_to(principal: Principal) -> QuerySet[StatusPage]:
    return StatusPage.filter(workspace_id__in=principal.workspace_ids)


def _require_admin(principal: Principal, workspace_id: int, *, field: str) -> None:
    principal.check_two_factor(workspace_id, field=field)
    if not principal.can_read(workspace_id):
        raise NotFound(field=field)
    if not principal.can_admin(workspace_id):
        raise Forbidden("Only a workspace admin or owner can change status pages.")


def _text(value: str, field: str, *, low: int, high: int) -> str:
    value = value.strip()
    if CONTROL.search(value):
        raise Invalid(f"{field} has control characters.", field=field)
    if not low <= len(value) <= high:
        raise Invalid(f"{field} must have {low} to {high} characters.", field=field)
    return value


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise Invalid(
            "The slug has 1 to 64 lower-case letters, digits and inner hyphens.", field="slug"
        )
    return value


def _logo(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or len(value) > 500:
        raise Invalid(
            "The logo URL must be an https:// URL (500 characters at most).", field="logoUrl"
        )
    if CONTROL.search(value) or any(c in value for c in "\"'<> \t\r\n"):
        raise Invalid("The logo URL has characters that need escaping.", field="logoUrl")
    return value


def _regions(settings: Settings, regions: list[str]) -> list[str]:
    unknown = [r for r in regions if r not in settings.regions]
    if unknown:
        raise Invalid(f"Unknown region {unknown[0]!r}.", field="regions")
    return sorted(set(regions))


async def _components(workspace_id: int, specs: list[ComponentSpec]) -> list[ComponentSpec]:
    if len(specs) > MAX_COMPONENTS:
        raise Invalid(f"At most {MAX_COMPONENTS} components.", field="components")
    wanted: set[int] = set()
    cleaned = []
    for spec in specs:
        ids = list(dict.fromkeys(spec.target_ids))
        if not 1 <= len(ids) <= MAX_TARGETS_PER_COMPONENT:
            raise Invalid(
                f"A component has 1 to {MAX_TARGETS_PER_COMPONENT} targets.", field="targetIds"
            )
        wanted.update(ids)
        cleaned.append(
            ComponentSpec(
                name=_text(spec.name, "name", low=1, high=100),
                description=_text(spec.description, "description", low=0, high=2000),
                target_ids=ids,
            )
        )
    found = set(
        await Target.filter(id__in=list(wanted), workspace_id=workspace_id).values_list(
            "id", flat=True
        )
    )
    if wanted - found:
        raise NotFound("No Target with this id in this workspace.", field="targetIds")
    return cleaned


async def _password(
    settings: Settings, visibility: Visibility, password: str | None, current: str | None
) -> str | None:
    if visibility is Visibility.PUBLIC:
        return None
    if password is None:
        if current is None:
            raise Invalid("A PASSWORD page needs a password.", field="password")
        return current
    if not 8 <= len(password) <= 200:
        raise Invalid("The password has 8 to 200 characters.", field="password")
    return await hash_password(settings, password)


async def _write_components(page_id: int, specs: list[ComponentSpec]) -> None:
    await StatusPageComponent.filter(page_id=page_id).delete()
    await StatusPageComponent.bulk_create(
        [
            StatusPageComponent(
                page_id=page_id,
                position=i,
                name=s.name,
                description=s.description,
                target_ids=s.target_ids,
            )
            for i, s in enumerate(specs)
        ]
    )


async def create_page(
    principal: Principal,
    settings: Settings,
    *,
    workspace_id: int,
    slug: str,
    title: str,
    description: str = "",
    logo_url: str | None = None,
    components: list[ComponentSpec],
    visibility: Visibility = Visibility.PUBLIC,
    password: str | None = None,
    regions: list[str] | None = None,
) -> StatusPage:
    _require_admin(principal, workspace_id, field="workspaceId")
    values: dict[str, Any] = {
        "slug": _slug(slug),
        "title": _text(title, "title", low=1, high=200),
        "description": _text(description, "description", low=0, high=5000),
        "logo_url": _logo(logo_url),
        "visibility": visibility,
        "regions": _regions(settings, regions or []),
    }
    specs = await _components(workspace_id, components)
    values["password_hash"] = await _password(settings, visibility, password, None)
    if await StatusPage.filter(workspace_id=workspace_id).count() >= MAX_PAGES_PER_WORKSPACE:
        raise LimitReached(f"At most {MAX_PAGES_PER_WORKSPACE} status pages per workspace.")
    if await StatusPage.filter(slug=slug).exists():
        raise AlreadyExists("This slug is taken.", field="slug")
    try:
        async with in_transaction():
            page = await StatusPage.create(workspace_id=workspace_id, **values)
            await _write_components(page.id, specs)
    except IntegrityError as exc:  # a concurrent create took the slug (unique index)
        if await StatusPage.filter(slug=slug).exists():
            raise AlreadyExists("This slug is taken.", field="slug") from exc
        raise
    return page


async def _writable_page(principal: Principal, page_id: int, *, field: str = "id") -> StatusPage:
    page = await visible_to(principal).get_or_none(id=page_id)
    if page is None:
        raise NotFound("No StatusPage with this id.", field=field)
    return page


async def update_page(
    principal: Principal,
    settings: Settings,
    page_id: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    description: str | None = None,
    logo_url: str | None = None,
    clear_logo: bool = False,
    components: list[ComponentSpec] | None = None,
    visibility: Visibility | None = None,
    password: str | None = None,
    regions: list[str] | None = None,
) -> StatusPage:
    """Change the given fields; `components`, when given, replace the page's list."""
    page = await _writable_page(principal, page_id)
    _require_admin(principal, page.workspace_id, field="id")
    if slug is not None and slug != page.slug:
        if await StatusPage.filter(slug=_slug(slug)).exists():
            raise AlreadyExists("This slug is taken.", field="slug")
        page.slug = slug
    if title is not None:
        page.title = _text(title, "title", low=1, high=200)
    if description is not None:
        page.description = _text(description, "description", low=0, high=5000)
    if clear_logo:
        page.logo_url = None
    elif logo_url is not None:
        page.logo_url = _logo(logo_url)
    if regions is not None:
        page.regions = _regions(settings, regions)
    specs = await _components(page.workspace_id, components) if components is not None else None
    new_visibility = visibility or page.visibility
    page.password_hash = await _password(settings, new_visibility, password, page.password_hash)
    page.visibility = new_visibility
    try:
        async with in_transaction():
            await page.save()
            if specs is not None:
                await _write_components(page.id, specs)
    except IntegrityError as exc:  # a concurrent update took the slug
        if slug is not None and await StatusPage.filter(slug=slug).exclude(id=page.id).exists():
            raise AlreadyExists("This slug is taken.", field="slug") from exc
        raise
    return page


async def delete_page(principal: Principal, page_id: int) -> int:
    page = await _writable_page(principal, page_id)
    _require_admin(principal, page.workspace_id, field="id")
    await page.delete()
    return page_id


async def post_update(
    principal: Principal,
    *,
    page_id: int,
    incident_id: int | None,
    title: str,
    message: str,
    state: UpdateState,
) -> StatusUpdate:
    """A member (not a viewer) posts an update, optionally about one of the workspace's
    incidents."""
    page = await _writable_page(principal, page_id, field="statusPageId")
    if not principal.can_write(page.workspace_id):
        raise Forbidden("Your role in this workspace cannot post status updates.")
    if (
        incident_id is not None
        and not await Incident.filter(id=incident_id, workspace_id=page.workspace_id).exists()
    ):
        raise NotFound("No Incident with this id in this workspace.", field="incidentId")
    return await StatusUpdate.create(
        page_id=page.id,
        incident_id=incident_id,
        title=_text(title, "title", low=1, high=200),
        message=_text(message, "message", low=1, high=10_000),
        state=state,
        posted_at=clock.now(),
    )


async def page_components(page_id: int) -> list[StatusPageComponent]:
    return await StatusPageComponent.filter(page_id=page_id).order_by("position")


# --- The public view --------------------------------------------------------------------


def derive(statuses: list[TargetStatus], in_maintenance: bool) -> ComponentStatus:
    """A component's status from its targets' (paused and pending targets do not count)."""
    if in_maintenance:
        return ComponentStatus.UNDER_MAINTENANCE
    counted = [s for s in statuses if s in COUNTED]
    down = sum(1 for s in counted if s is TargetStatus.DOWN)
    if counted and down == len(counted):
        return ComponentStatus.MAJOR_OUTAGE
    if down:
        return ComponentStatus.PARTIAL_OUTAGE
    if any(s is TargetStatus.DEGRADED for s in counted):
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


def worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=SEVERITY.index, default=ComponentStatus.OPERATIONAL)


@dataclass
class UptimeDay:
    day: date
    uptime: float | None  # None: no checks that day (outside maintenance)
    maintenance: bool = False  # a maintenance window covered part of the day


@dataclass
class PublicComponent:
    id: int
    name: str
    description: str
    status: ComponentStatus
    bars: list[UptimeDay]


@dataclass
class PublicIncident:
    component_ids: list[int]
    started_at: datetime
    resolved_at: datetime | None
    updates: list[StatusUpdate] = field(default_factory=list)


@dataclass
class PublicPage:
    page: StatusPage
    status: ComponentStatus
    components: list[PublicComponent]
    incidents: list[PublicIncident]
    updates: list[StatusUpdate]


async def open_page(settings: Settings, slug: str, password: str | None) -> StatusPage | None:
    """The page, when it exists and the password (if it has one) is right; else None.

    An unknown slug and a wrong password answer alike; a password given for an unknown
    slug still costs one argon2 verification (no enumeration by timing).
    """
    page = await StatusPage.get_or_none(slug=slug) if SLUG.fullmatch(slug or "") else None
    if page is None:
        if password:
            await dummy_verify(settings, password)
        return None
    if page.visibility is Visibility.PUBLIC:
        return page
    if not password or page.password_hash is None:
        return None
    return page if await verify_password(settings, page.password_hash, password) else None


async def public_view(page: StatusPage) -> PublicPage:
    now = clock.now()
    components = await page_components(page.id)
    all_ids = {tid for c in components for tid in c.target_ids}
    statuses = dict(
        await Target.filter(id__in=list(all_ids), workspace_id=page.workspace_id).values_list(
            "id", "status"
        )
    )
    maintenance = await targets_in_maintenance(list(statuses), now)
    bars = await _uptime_bars(page, components, set(statuses), now)
    public = []
    for c in components:
        ids = [t for t in c.target_ids if t in statuses]
        in_maint = bool(ids) and all(t in maintenance for t in ids)
        counted = [TargetStatus(statuses[t]) for t in ids if t not in maintenance]
        public.append(
            PublicComponent(
                id=c.id,
                name=c.name,
                description=c.description,
                status=derive(counted, in_maint),
                bars=bars[c.id],
            )
        )
    incidents = await _incidents(page, components, set(statuses), now)
    updates = (
        await StatusUpdate.filter(page_id=page.id)
        .order_by("-posted_at", "-id")
        .limit(MAX_PUBLIC_UPDATES)
    )
    by_incident: dict[int, list[StatusUpdate]] = defaultdict(list)
    for u in updates:
        if u.incident_id is not None:
            by_incident[u.incident_id].append(u)
    shown = []
    for incident_id, incident in incidents:
        incident.updates = by_incident.get(incident_id, [])
        shown.append(incident)
    return PublicPage(
        page=page,
        status=worst([c.status for c in public]),
        components=public,
        incidents=shown,
        updates=updates,
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
        ids = sorted(target_ids)
        where = f"target_id IN ({', '.join('?' * len(ids))})"
        params: list[Any] = [first, *ids]
        if page.regions:
            where += f" AND region IN ({', '.join('?' * len(page.regions))})"
            params += list(page.regions)
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
) -> list[tuple[int, PublicIncident]]:
    """Open incidents, and those resolved in the last RECENT_INCIDENTS, newest first."""
    rows = (
        await Incident.filter(target_id__in=list(target_ids), workspace_id=page.workspace_id)
        .filter(Q(resolved_at=None) | Q(resolved_at__gte=now - RECENT_INCIDENTS))
        .order_by("-started_at")
        .limit(50)
    )
    return [
        (
            row.id,
            PublicIncident(
                component_ids=[c.id for c in components if row.target_id in c.target_ids],
                started_at=row.started_at,
                resolved_at=row.resolved_at,
            ),
        )
        for row in rows
    ]


async def feed_updates(page_id: int) -> list[StatusUpdate]:
    return (
        await StatusUpdate.filter(page_id=page_id)
        .order_by("-posted_at", "-id")
        .limit(MAX_PUBLIC_UPDATES)
    )
