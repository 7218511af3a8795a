"""SLA report mutations: a download link; the monthly e-mail schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from api.core.ids import decode, encode
from api.graphql.context import Info
from api.graphql.payloads import MutationPayload, domain_errors_in
from api.graphql.permissions import requires
from api.oauth.permissions import SessionOnly
from api.results import report_export, report_request, report_schedule
from api.results.queries import request_of
from api.results.report_types import SlaReportInput

strawberry.enum(
    report_export.ExportFormat, name="SlaExportFormat", description="File format of a report."
)


@strawberry.type(description="A download link to a report file.")
class ExportSlaReportPayload(MutationPayload):
    url: str | None = strawberry.field(
        default=None, description="The link (a credential: share it with care); null on failure."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the link stops working."
    )


@strawberry.type
class ExportMutation:
    @strawberry.mutation(
        description=(
            "A link to download an SLA report as CSV or JSON (expires; re-checks your access "
            "when opened; a named period is frozen to its dates). A signed-in session only: "
            "the link is a credential that would outlive an access token."
        ),
        permission_classes=[requires("results:read"), SessionOnly],
    )
    @domain_errors_in(ExportSlaReportPayload)
    async def export_sla_report(
        self,
        info: Info,
        input: SlaReportInput,
        format: Annotated[
            report_export.ExportFormat, strawberry.argument(description="CSV or JSON.")
        ],
    ) -> ExportSlaReportPayload:
        resources, principal = info.context.resources, info.context.principal
        request = request_of(input)
        await report_request.run(principal, request, resources.settings.regions)  # checks all
        url, expires = report_export.make_link(resources, principal, request, format)
        return ExportSlaReportPayload(url=url, expires_at=expires)


@strawberry.input(description="Who gets last month's report by e-mail, early each month.")
class SlaReportScheduleInput:
    workspace_id: strawberry.ID = strawberry.field(description="Global id of the workspace.")
    recipient_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of members (users) who get the e-mail (1 to 20)."
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this target group (default: every target, 200 at most)."
    )
    timezone: str = strawberry.field(default="UTC", description="IANA zone of the months.")
    objective: float = strawberry.field(default=99.9, description="Uptime objective, in %.")
    exclude_maintenance: bool = strawberry.field(
        default=True, description="Leave maintenance windows out."
    )


@strawberry.type(description="A workspace's monthly SLA report e-mail.")
class SlaReportSchedule:
    recipient_ids: list[strawberry.ID] = strawberry.field(description="Who gets it.")
    group_id: strawberry.ID | None = strawberry.field(description="The group reported, if any.")
    timezone: str = strawberry.field(description="Zone of the months.")
    objective: float = strawberry.field(description="Objective, in %.")
    exclude_maintenance: bool = strawberry.field(description="Maintenance left out.")
    last_sent_month: str | None = strawberry.field(description="Last month mailed (YYYY-MM).")


@strawberry.type(description="The answer of setSlaReportSchedule / clearSlaReportSchedule.")
class SlaReportSchedulePayload(MutationPayload):
    schedule: SlaReportSchedule | None = strawberry.field(
        default=None, description="The schedule; null once cleared or on failure."
    )


def _schedule(row: Any) -> SlaReportSchedule:
    return SlaReportSchedule(
        recipient_ids=[strawberry.ID(encode("User", i)) for i in row.recipient_ids],
        group_id=strawberry.ID(encode("TargetGroup", row.group_id)) if row.group_id else None,
        timezone=row.timezone,
        objective=row.objective,
        exclude_maintenance=row.exclude_maintenance,
        last_sent_month=row.last_sent_month,
    )


async def workspace_schedule(info: Info, workspace_id: int) -> SlaReportSchedule | None:
    """Workspace.slaReportSchedule (api/workspaces/types.py)."""
    row = await report_schedule.get_schedule(info.context.principal, workspace_id)
    return _schedule(row) if row is not None else None


@strawberry.type
class Mutation(ExportMutation):
    @strawberry.mutation(
        description="E-mail last month's SLA report to these members early each month.",
        permission_classes=[requires("alerts:write")],
    )
    @domain_errors_in(SlaReportSchedulePayload)
    async def set_sla_report_schedule(
        self, info: Info, input: SlaReportScheduleInput
    ) -> SlaReportSchedulePayload:
        row = await report_schedule.set_schedule(
            info.context.principal,
            workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
            recipient_ids=[decode(i, "User", field="recipientIds") for i in input.recipient_ids],
            group_id=decode(input.group_id, "TargetGroup", field="groupId")
            if input.group_id
            else None,
            timezone=input.timezone,
            objective=input.objective,
            exclude_maintenance=input.exclude_maintenance,
        )
        return SlaReportSchedulePayload(schedule=_schedule(row))

    @strawberry.mutation(
        description="Stop the monthly SLA report e-mail of a workspace.",
        permission_classes=[requires("alerts:write")],
    )
    @domain_errors_in(SlaReportSchedulePayload)
    async def clear_sla_report_schedule(
        self, info: Info, workspace_id: strawberry.ID
    ) -> SlaReportSchedulePayload:
        await report_schedule.clear_schedule(
            info.context.principal, decode(workspace_id, "Workspace", field="workspaceId")
        )
        return SlaReportSchedulePayload(schedule=None)
