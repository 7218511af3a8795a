"""GraphQL types of SLA reports: the input (scope and period) and the report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from api.core.ids import decode, encode
from api.results import report_range
from api.results.report_figures import Figures
from api.results.reports import SlaReport as ReportData

strawberry.enum(
    report_range.Period,
    name="SlaPeriod",
    description="A calendar period, in the report's time zone.",
)


@strawberry.input(one_of=True, description="What a report covers: exactly one field.")
class SlaScopeInput:
    target_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="These targets of the workspace (at most 200)."
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The targets of this target group."
    )


@strawberry.input(description="Which targets, which period, which objective.")
class SlaReportInput:
    workspace_id: strawberry.ID = strawberry.field(description="Global id of the workspace.")
    scope: SlaScopeInput = strawberry.field(description="Targets or a group.")
    period: report_range.Period | None = strawberry.field(
        default=None, description="A named period (instead of from/to), e.g. LAST_MONTH."
    )
    from_: date | None = strawberry.field(
        name="from", default=None, description="First day (local, inclusive)."
    )
    to: date | None = strawberry.field(default=None, description="Last day (local, inclusive).")
    timezone: str = strawberry.field(
        default="UTC", description="IANA time zone the days are read in, e.g. Europe/Paris."
    )
    exclude_maintenance: bool = strawberry.field(
        default=True,
        description="Leave maintenance windows out (else their minutes count as downtime).",
    )
    objective: float = strawberry.field(
        default=99.9, description="The uptime objective in %, above 0 and below 100."
    )


def scope_ids(scope: SlaScopeInput) -> tuple[list[int] | None, int | None]:
    """(target ids, group id) of the oneOf scope; NotFound for malformed ids."""
    if scope.group_id:
        return None, decode(scope.group_id, "TargetGroup", field="groupId")
    ids = scope.target_ids if isinstance(scope.target_ids, list) else []
    return [decode(i, "Target", field="targetIds") for i in ids], None


@strawberry.type(description="SLA figures of a target, a region or a whole report.")
class SlaFigures:
    monitored_minutes: float = strawberry.field(
        description="Minutes with checks in the range (maintenance left out when excluded)."
    )
    uptime_percent: float | None = strawberry.field(
        description="Share of the monitored minutes not down, in %; null without checks."
    )
    downtime_minutes: float = strawberry.field(description="Minutes counted down.")
    incidents: int | None = strawberry.field(
        description="Incidents opened in the range (null per region: incidents are overall)."
    )
    mttr_minutes: float | None = strawberry.field(
        description="Mean time to repair of the resolved incidents."
    )
    mtbf_minutes: float | None = strawberry.field(
        description="Mean time between failures: minutes up per incident."
    )
    p50_ms: float | None = strawberry.field(description="Median response time.")
    p95_ms: float | None = strawberry.field(description="95th percentile response time.")
    p99_ms: float | None = strawberry.field(description="99th percentile response time.")
    error_budget_minutes: float = strawberry.field(
        description="Downtime the objective allows over the monitored minutes."
    )
    error_budget_remaining_minutes: float = strawberry.field(
        description="Budget left (negative when the objective was missed)."
    )
    error_budget_remaining_percent: float | None = strawberry.field(
        description="Budget left, in % of the budget."
    )

    @classmethod
    def of(cls, f: Figures) -> SlaFigures:
        return cls(**f.__dict__)


@strawberry.type(description="SLA figures seen from one probe region.")
class SlaRegionFigures:
    region: str = strawberry.field(description="Region code.")
    figures: SlaFigures = strawberry.field(description="The figures from that region.")


@strawberry.type(description="One target's part of a report.")
class SlaTargetReport:
    target_id: strawberry.ID = strawberry.field(description="Global id of the target.")
    name: str = strawberry.field(description="The target's name.")
    overall: SlaFigures = strawberry.field(
        description="The quorum view: down when enough regions agree (its alert policy)."
    )
    by_region: list[SlaRegionFigures] = strawberry.field(description="Per region.")


@strawberry.type(description="A maintenance window occurrence inside the report's range.")
class SlaMaintenance:
    window_id: strawberry.ID = strawberry.field(description="Global id of the window.")
    target_id: strawberry.ID | None = strawberry.field(
        description="Its target; null for a window on the whole workspace."
    )
    name: str = strawberry.field(description="The window's name.")
    starts_at: datetime = strawberry.field(description="Start (clipped to the range).")
    ends_at: datetime = strawberry.field(description="End (clipped to the range).")


@strawberry.type(description="An SLA report over a calendar range.")
class SlaReport:
    starts_at: datetime = strawberry.field(description="First instant covered (UTC).")
    ends_at: datetime = strawberry.field(description="End of the range asked (exclusive).")
    data_until: datetime = strawberry.field(
        description="Where the data stops: now, or the last hour rolled up."
    )
    from_: date = strawberry.field(name="from", description="First day, local.")
    to: date = strawberry.field(description="Last day, local.")
    timezone: str = strawberry.field(description="The time zone of the days.")
    objective: float = strawberry.field(description="The objective, in %.")
    exclude_maintenance: bool = strawberry.field(description="Whether maintenance is left out.")
    overall: SlaFigures = strawberry.field(description="All targets together.")
    by_region: list[SlaRegionFigures] = strawberry.field(description="All targets, per region.")
    targets: list[SlaTargetReport] = strawberry.field(description="Per target, by name.")
    maintenance: list[SlaMaintenance] = strawberry.field(
        description="Maintenance windows in the range."
    )

    @classmethod
    def of(cls, r: ReportData) -> SlaReport:
        def regions(by: dict[str, Any]) -> list[SlaRegionFigures]:
            return [SlaRegionFigures(region=k, figures=SlaFigures.of(v)) for k, v in by.items()]

        return cls(
            starts_at=r.range.since,
            ends_at=r.range.until,
            data_until=r.data_until,
            from_=r.range.first_day,
            to=r.range.last_day,
            timezone=r.range.zone,
            objective=r.objective,
            exclude_maintenance=r.exclude_maintenance,
            overall=SlaFigures.of(r.overall),
            by_region=regions(r.by_region),
            targets=[
                SlaTargetReport(
                    target_id=strawberry.ID(encode("Target", t.target_id)),
                    name=t.name,
                    overall=SlaFigures.of(t.overall),
                    by_region=regions(t.by_region),
                )
                for t in r.targets
            ],
            maintenance=[
                SlaMaintenance(
                    window_id=strawberry.ID(encode("MaintenanceWindow", m.window_id)),
                    target_id=strawberry.ID(encode("Target", m.target_id))
                    if m.target_id is not None
                    else None,
                    name=m.name,
                    starts_at=m.starts_at,
                    ends_at=m.ends_at,
                )
                for m in r.maintenance
            ],
        )
