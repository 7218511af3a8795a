"""Result queries: slaReport."""

from __future__ import annotations

import strawberry

from api.core.errors import DomainError, NotFound
from api.core.ids import decode
from api.graphql.context import Info
from api.graphql.errors import InvalidArgument
from api.graphql.permissions import requires
from api.results import report_request
from api.results.report_types import SlaReport, SlaReportInput, scope_ids


def request_of(input: SlaReportInput) -> report_request.ReportRequest:
    """The service's request from the GraphQL input (NotFound for malformed ids)."""
    target_ids, group_id = scope_ids(input.scope)
    return report_request.ReportRequest(
        workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
        target_ids=target_ids,
        group_id=group_id,
        timezone=input.timezone,
        period=input.period,
        first_day=input.from_,
        last_day=input.to,
        exclude_maintenance=input.exclude_maintenance,
        objective=input.objective,
    )


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "An SLA report of targets over calendar days (up to a year, maintenance excluded "
            "by default); null when the workspace, a target or the group is not yours."
        ),
        permission_classes=[requires("results:read")],
    )
    async def sla_report(self, info: Info, input: SlaReportInput) -> SlaReport | None:
        try:
            request = request_of(input)
            report = await report_request.run(
                info.context.principal, request, info.context.resources.settings.regions
            )
        except NotFound:
            return None
        except DomainError as exc:
            raise InvalidArgument(exc.message, argument=exc.field) from None
        return SlaReport.of(report)
