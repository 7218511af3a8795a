"""What a report asks for, checked for a principal and run: shared by the query, the
download link (which carries a request) and the monthly e-mail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from api.auth.principal import Principal
from api.core import clock
from api.core.errors import Invalid
from api.results import report_range, reports


@dataclass(frozen=True)
class ReportRequest:
    workspace_id: int
    target_ids: list[int] | None
    group_id: int | None
    timezone: str = "UTC"
    period: report_range.Period | None = None
    first_day: date | None = None
    last_day: date | None = None
    exclude_maintenance: bool = True
    objective: float = 99.9

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["period"] = self.period.value if self.period else None
        data["first_day"] = self.first_day.isoformat() if self.first_day else None
        data["last_day"] = self.last_day.isoformat() if self.last_day else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportRequest:
        return cls(
            workspace_id=int(data["workspace_id"]),
            target_ids=[int(i) for i in data["target_ids"]]
            if data.get("target_ids") is not None
            else None,
            group_id=int(data["group_id"]) if data.get("group_id") is not None else None,
            timezone=str(data["timezone"]),
            period=report_range.Period(data["period"]) if data.get("period") else None,
            first_day=date.fromisoformat(data["first_day"]) if data.get("first_day") else None,
            last_day=date.fromisoformat(data["last_day"]) if data.get("last_day") else None,
            exclude_maintenance=bool(data["exclude_maintenance"]),
            objective=float(data["objective"]),
        )


def resolve_range(request: ReportRequest) -> report_range.ReportRange:
    return report_range.resolve(
        timezone=request.timezone,
        period=request.period,
        first_day=request.first_day,
        last_day=request.last_day,
        now=clock.now(),
    )


def frozen(request: ReportRequest) -> ReportRequest:
    """The same request with its period turned into dates (a link made today for
    LAST_MONTH still means that month when it is opened after the 1st)."""
    rng = resolve_range(request)
    return ReportRequest(
        **{
            **request.__dict__,
            "period": None,
            "first_day": rng.first_day,
            "last_day": rng.last_day,
        }
    )


async def run(
    principal: Principal, request: ReportRequest, configured_regions: list[str]
) -> reports.SlaReport:
    """The report, after checking the request and that the principal may read its scope."""
    if not isinstance(request.objective, (int, float)) or request.objective != request.objective:
        raise Invalid("The objective must be a number.", field="objective")
    reports.check_objective(request.objective)
    rng = resolve_range(request)
    target_ids = await reports.scope_targets(
        principal, request.workspace_id, request.target_ids, request.group_id
    )
    return await reports.build_report(
        workspace_id=request.workspace_id,
        target_ids=target_ids,
        period=rng,
        objective=request.objective,
        exclude_maintenance=request.exclude_maintenance,
        configured_regions=configured_regions,
    )
