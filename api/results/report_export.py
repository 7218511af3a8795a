"""SLA reports as CSV or JSON files behind an expiring download link.

The link (api/core/links.py) carries the request, with its period frozen to dates, and
the user it was made for; opening it re-checks that user's access to the workspace and
targets, then computes the report from rollups. `GET /reports/sla/{token}`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.accounts.models import User
from api.auth.principal import Principal
from api.auth.resolve import principal_for_user
from api.core import clock, links
from api.core.errors import DomainError
from api.core.logging import get_logger
from api.http.downloads import attachment, gone
from api.resources import Resources
from api.results import report_request
from api.results.report_figures import Figures
from api.results.reports import SlaReport

log = get_logger(__name__)

LINK_PREFIX = "hf_sla_"
READ_SCOPES = frozenset({"results:read"})


class ExportFormat(Enum):
    CSV = "CSV"
    JSON = "JSON"


FIGURE_COLUMNS = list(Figures.__dataclass_fields__)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # dates and datetimes
        return value.isoformat()
    raise TypeError(type(value).__name__)


def render_json(report: SlaReport) -> bytes:
    data = {
        "format": "hitflow-sla-report/1",
        "from": report.range.first_day,
        "to": report.range.last_day,
        "timezone": report.range.zone,
        "startsAt": report.range.since,
        "endsAt": report.range.until,
        "dataUntil": report.data_until,
        "objective": report.objective,
        "excludeMaintenance": report.exclude_maintenance,
        "overall": asdict(report.overall),
        "byRegion": {k: asdict(v) for k, v in report.by_region.items()},
        "targets": [
            {
                "name": t.name,
                "overall": asdict(t.overall),
                "byRegion": {k: asdict(v) for k, v in t.by_region.items()},
            }
            for t in report.targets
        ],
        "maintenance": [
            {"name": m.name, "startsAt": m.starts_at, "endsAt": m.ends_at}
            for m in report.maintenance
        ],
    }
    return json.dumps(data, default=_jsonable, indent=1).encode()


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: names are data.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def render_csv(report: SlaReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["target", "region", *FIGURE_COLUMNS])

    def row(name: str, region: str, f: Figures) -> None:
        writer.writerow([_cell(name), region, *(_cell(getattr(f, c)) for c in FIGURE_COLUMNS)])

    for target in report.targets:
        row(target.name, "all", target.overall)
        for region, figures in target.by_region.items():
            row(target.name, region, figures)
    row("all targets", "all", report.overall)
    for region, figures in report.by_region.items():
        row("all targets", region, figures)
    return out.getvalue().encode()


def make_link(
    resources: Resources,
    principal: Principal,
    request: report_request.ReportRequest,
    fmt: ExportFormat,
) -> tuple[str, datetime]:
    """A download link for this request, valid export_ttl_hours (checked beforehand)."""
    ttl = timedelta(hours=resources.settings.export_ttl_hours)
    frozen = report_request.frozen(request)
    token = links.seal(
        resources.keyring,
        LINK_PREFIX,
        {"u": principal.user_id, "f": fmt.value, "r": frozen.to_json()},
        ttl,
    )
    return f"{resources.settings.public_url}/reports/sla/{token}", clock.now() + ttl


async def open_link(resources: Resources, token: str) -> tuple[bytes, ExportFormat] | None:
    payload = links.unseal(resources.keyring, LINK_PREFIX, token)
    if payload is None:
        return None
    try:
        request = report_request.ReportRequest.from_json(payload["r"])
        fmt = ExportFormat(payload["f"])
        user = await User.get_or_none(id=int(payload["u"]), is_active=True)
    except (KeyError, TypeError, ValueError):
        return None
    if user is None:
        return None
    principal = await principal_for_user(user, "session", READ_SCOPES, None)
    try:
        report = await report_request.run(principal, request, resources.settings.regions)
    except DomainError:
        return None  # no longer a member, target gone...
    body = render_csv(report) if fmt is ExportFormat.CSV else render_json(report)
    log.info("sla_report_downloaded", workspace_id=request.workspace_id, format=fmt.value)
    return body, fmt


def routes(resources: Resources) -> list[BaseRoute]:
    async def download(request: Request) -> Response:
        found = await open_link(resources, request.path_params["token"])
        if found is None:
            return gone()
        body, fmt = found
        if fmt is ExportFormat.CSV:
            return attachment(body, filename="hitflow-sla-report.csv", media_type="text/csv")
        return attachment(body, filename="hitflow-sla-report.json", media_type="application/json")

    return [Route("/reports/sla/{token}", download, methods=["GET"])]
