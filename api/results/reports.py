"""SLA reports: uptime, downtime, incidents, MTTR/MTBF, latency percentiles and the error
budget of a set of targets over a calendar range, per target and region and overall.

Computed from rollups (api/results/report_data.py), never from raw results; the rules
of counting are in api/results/report_figures.py. Edges: a range in a zone with a
half-hour offset starts or ends inside a UTC hour; that hour's failure share is applied
to the minutes inside the range (its checks are taken as evenly spread), and its latency
histogram counts whole. Likewise the hour a target was created in counts from its
creation only (and the current hour up to now): the failure share of an hour applies to
the part of it the target existed in, and the day of creation is read by the hour.
`data_until` says where the report's data stops.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Q

from api.auth.principal import Principal
from api.core import clock
from api.core.errors import Invalid, LimitReached, NotFound
from api.incidents.models import Incident
from api.maintenance.models import MaintenanceWindow
from api.maintenance.service import occurrences
from api.results import buckets, report_data
from api.results.report_figures import Figures, Tally, figures, quorum_share
from api.results.report_range import ReportRange
from api.results.rollups import HOUR, floor_day
from api.targets.groups import get_visible_group, group_target_ids
from api.targets.models import Target
from api.targets.state import confirm_regions

MAX_TARGETS = 200
DAY_S = 86400.0


@dataclass
class TargetReport:
    target_id: int
    name: str
    overall: Figures
    by_region: dict[str, Figures]


@dataclass
class MaintenanceSpan:
    window_id: int
    target_id: int | None
    name: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class SlaReport:
    workspace_id: int
    range: ReportRange
    objective: float
    exclude_maintenance: bool
    data_until: datetime
    overall: Figures
    by_region: dict[str, Figures]
    targets: list[TargetReport] = field(default_factory=list)
    maintenance: list[MaintenanceSpan] = field(default_factory=list)


def check_objective(objective: float) -> float:
    if not 0 < objective < 100:
        raise Invalid("The objective is a percentage above 0 and below 100.", field="objective")
    return round(objective, 4)


async def scope_targets(
    principal: Principal, workspace_id: int, target_ids: list[int] | None, group_id: int | None
) -> list[int]:
    """The target ids a report covers: exactly one of target_ids / group_id, all in the
    workspace and visible to the principal; NotFound for anything else."""
    if not principal.can_read(workspace_id):
        raise NotFound("No Workspace with this id.", field="workspaceId")
    principal.check_two_factor(workspace_id)
    if (target_ids is None) == (group_id is None):
        raise Invalid("Give exactly one of targetIds and groupId.", field="targetIds")
    if group_id is not None:
        group = await get_visible_group(principal, group_id)
        if group.workspace_id != workspace_id:
            raise NotFound("No target group with this id.", field="groupId")
        ids = await group_target_ids(principal, group_id)
    else:
        ids = sorted(set(target_ids or []))
        if not ids:
            raise Invalid("Give at least one target.", field="targetIds")
        if len(ids) > MAX_TARGETS:
            raise LimitReached(f"A report covers at most {MAX_TARGETS} targets.")
        found = await Target.filter(id__in=ids, workspace_id=workspace_id).count()
        if found != len(ids):
            raise NotFound("No Target with this id in this workspace.", field="targetIds")
    if len(ids) > MAX_TARGETS:
        raise LimitReached(f"A report covers at most {MAX_TARGETS} targets.")
    return ids


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _overlap(a: datetime, b: datetime, spans: list[tuple[datetime, datetime]]) -> float:
    return sum(max(0.0, (min(b, y) - max(a, x)).total_seconds()) for x, y in spans)


async def _maintenance(
    workspace_id: int, targets: list[Target], since: datetime, until: datetime
) -> tuple[list[MaintenanceSpan], dict[int, list[tuple[datetime, datetime]]]]:
    ids = [t.id for t in targets]
    windows = await MaintenanceWindow.filter(
        Q(target_id__in=ids) | Q(target_id=None, workspace_id=workspace_id),
        starts_at__lt=until,
    ).filter(Q(weekly=True) | Q(ends_at__gt=since))
    listed: list[MaintenanceSpan] = []
    per_target: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for window in sorted(windows, key=lambda w: w.id):
        for start, end in occurrences(window, since, until):
            a, b = max(start, since), min(end, until)
            if a >= b:
                continue
            listed.append(MaintenanceSpan(window.id, window.target_id, window.name, a, b))
            for tid in [window.target_id] if window.target_id is not None else ids:
                per_target[tid].append((a, b))
    listed.sort(key=lambda s: (s.starts_at, s.window_id))
    return listed, {tid: _merge(spans) for tid, spans in per_target.items()}


async def build_report(
    *,
    workspace_id: int,
    target_ids: list[int],
    period: ReportRange,
    objective: float,
    exclude_maintenance: bool,
    configured_regions: list[str],
) -> SlaReport:
    """The report of targets already scoped to `workspace_id` (see scope_targets)."""
    objective = check_objective(objective)
    since = period.since
    until = max(since, min(period.until, clock.now()))
    targets = await Target.filter(id__in=target_ids, workspace_id=workspace_id).order_by(
        "name", "id"
    )
    listed, maint = await _maintenance(workspace_id, targets, since, until)
    # Days read by the hour: those a maintenance window touches, and the day each target
    # was created (its hours before creation are not monitored time, so that day cannot
    # count whole from a daily row).
    hour_days: dict[int, set[datetime]] = {
        tid: {d for a, b in spans for d in report_data.utc_days(a, b)}
        for tid, spans in maint.items()
    }
    for target in targets:
        if since <= target.created_at < until:
            hour_days.setdefault(target.id, set()).add(floor_day(target.created_at))
    data = await report_data.load([t.id for t in targets], since, until, hour_days)
    data_until = data.data_until
    incidents = await Incident.filter(
        target_id__in=[t.id for t in targets], started_at__gte=since, started_at__lt=data_until
    ).values("target_id", "started_at", "resolved_at")

    hours: dict[int, dict[datetime, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    whole_hours: set[tuple[int, datetime]] = set()
    for hour_row in data.hours:
        share = hour_row.failures / hour_row.checks
        hours[hour_row.target_id][hour_row.hour][hour_row.region] = share
        if hour_row.whole:
            whole_hours.add((hour_row.target_id, hour_row.hour))

    total, by_region_total = Tally(), defaultdict[str, Tally](Tally)
    reports: list[TargetReport] = []
    for target in targets:
        spans = [(a, min(b, data_until)) for a, b in maint.get(target.id, []) if a < data_until]
        regions = [r for r in (target.regions or configured_regions) if r in configured_regions]
        regions = regions or list(configured_regions)
        need = confirm_regions(target, regions)
        tallies: dict[str, Tally] = defaultdict(Tally)
        whole = Tally()
        for (tid, region), n in data.days.items():
            if tid == target.id:
                tallies[region].monitored_s += n * DAY_S
        whole.monitored_s += data.target_days.get(target.id, 0) * DAY_S
        # Days read whole by the hour were counted whole above: take them back out.
        target_hours = hours.get(target.id, {})
        seen_on: dict[datetime, set[str]] = defaultdict(set)
        for hour, shares in target_hours.items():
            if (target.id, hour) in whole_hours:
                seen_on[floor_day(hour)].update(shares)
        for day in data.special_days.get(target.id, set()):
            seen = seen_on.get(day, set())
            for region in seen:
                tallies[region].monitored_s -= DAY_S
            if seen:
                whole.monitored_s -= DAY_S
        for hour, shares in target_hours.items():
            # The hour's monitored span: not before the target existed, not past now or
            # the range's end; its failure share applies to that span only.
            a, b = max(hour, since, target.created_at), min(hour + HOUR, data_until)
            covered = max(0.0, (b - a).total_seconds()) - _overlap(a, b, spans)
            if covered <= 0:
                continue
            counted = (target.id, hour) in whole_hours  # else: inside a day counted whole
            for region, share in shares.items():
                tallies[region].monitored_s += covered if counted else 0.0
                tallies[region].down_s += share * covered
            whole.monitored_s += covered if counted else 0.0
            whole.down_s += quorum_share(list(shares.values()), need) * covered
        if not exclude_maintenance and whole.monitored_s > 0:
            # Planned work counts against the objective: its minutes are downtime.
            planned = _overlap(since, data_until, spans)
            for part in [whole, *(tallies[r] for r in regions)]:
                part.monitored_s += planned
                part.down_s += planned
        for (tid, region), hist in data.histograms.items():
            if tid == target.id:
                tallies[region].histogram = dict(hist)
        for part in tallies.values():
            buckets.merge(whole.histogram, part.histogram)
        for row in incidents:
            if row["target_id"] != target.id:
                continue
            if exclude_maintenance and any(a <= row["started_at"] < b for a, b in spans):
                continue  # opened by planned work
            whole.incidents += 1
            if row["resolved_at"] is not None:
                whole.repaired += 1
                whole.repair_s += (row["resolved_at"] - row["started_at"]).total_seconds()
        total.add(whole)
        for region, part in tallies.items():
            by_region_total[region].add(part)
        reports.append(
            TargetReport(
                target_id=target.id,
                name=target.name,
                overall=figures(whole, objective, with_incidents=True),
                by_region={
                    r: figures(tallies[r], objective, with_incidents=False) for r in sorted(tallies)
                },
            )
        )
    return SlaReport(
        workspace_id=workspace_id,
        range=period,
        objective=objective,
        exclude_maintenance=exclude_maintenance,
        data_until=data_until,
        overall=figures(total, objective, with_incidents=True),
        by_region={
            r: figures(by_region_total[r], objective, with_incidents=False)
            for r in sorted(by_region_total)
        },
        targets=reports,
        maintenance=listed,
    )
