"""SLA report mutations: a download link; the monthly e-mail schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.graphql.context import Info
from api.graphql.payloads import MutationPayload, domain_errors_in
from api.graphql.permissions import requires
from api.results import report_export, report_request
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
class Mutation:
    @strawberry.mutation(
        description=(
            "A link to download an SLA report as CSV or JSON (expires; re-checks your access "
            "when opened; a named period is frozen to its dates)."
        ),
        permission_classes=[requires("results:read")],
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
