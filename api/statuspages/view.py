"""What a visitor of a status page sees: plain values only (no model, no target, no
internal id beyond the components' own), so a view can be cached as JSON and read back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from pydantic import TypeAdapter

from api.statuspages.models import UpdateState
from api.targets.models import TargetStatus


class ComponentStatus(StrEnum):
    OPERATIONAL = "OPERATIONAL"
    UNDER_MAINTENANCE = "UNDER_MAINTENANCE"
    DEGRADED_PERFORMANCE = "DEGRADED_PERFORMANCE"
    PARTIAL_OUTAGE = "PARTIAL_OUTAGE"
    MAJOR_OUTAGE = "MAJOR_OUTAGE"


# Worst last: the page's overall status is its worst component's.
SEVERITY = list(ComponentStatus)
COUNTED = (TargetStatus.UP, TargetStatus.DOWN, TargetStatus.DEGRADED)


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
class ResponsePoint:
    hour: datetime
    average_ms: float | None  # None: no timed check that hour


@dataclass
class PublicUpdate:
    title: str
    message: str
    state: UpdateState
    posted_at: datetime


@dataclass
class PublicComponent:
    id: int
    name: str
    description: str
    status: ComponentStatus
    bars: list[UptimeDay]
    group: str | None = None
    response_time_ms: float | None = None  # average of the last 24 hours
    response_times: list[ResponsePoint] = field(default_factory=list)


@dataclass
class PublicGroup:
    name: str
    status: ComponentStatus  # the worst of its components'
    component_ids: list[int]


@dataclass
class PublicIncident:
    component_ids: list[int]
    started_at: datetime
    resolved_at: datetime | None
    updates: list[PublicUpdate] = field(default_factory=list)


@dataclass
class PublicMaintenance:
    starts_at: datetime
    ends_at: datetime
    component_ids: list[int]
    in_progress: bool


@dataclass
class PublicPage:
    title: str
    description: str
    logo_url: str | None
    status: ComponentStatus
    components: list[PublicComponent]
    incidents: list[PublicIncident]
    updates: list[PublicUpdate]
    groups: list[PublicGroup] = field(default_factory=list)
    maintenance: list[PublicMaintenance] = field(default_factory=list)


def groups_of(components: list[PublicComponent]) -> list[PublicGroup]:
    """The named groups, in the order of their first component."""
    found: dict[str, list[PublicComponent]] = {}
    for c in components:
        if c.group:
            found.setdefault(c.group, []).append(c)
    return [
        PublicGroup(name, worst([c.status for c in members]), [c.id for c in members])
        for name, members in found.items()
    ]


_CODEC = TypeAdapter(PublicPage)


def to_json(view: PublicPage) -> bytes:
    return _CODEC.dump_json(view)


def from_json(raw: bytes | str) -> PublicPage:
    return _CODEC.validate_json(raw)
