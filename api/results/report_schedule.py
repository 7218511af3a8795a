"""Monthly SLA reports by e-mail: the per-workspace schedule, and sending one month.

The core worker's cron (workers/jobs/sla_reports.py) enqueues one job per schedule and
month with a deterministic job id; the job calls `send_month`, which records the month
sent with a conditional update, so a month is mailed once even if the job runs twice.
Recipients must be members when the schedule is set AND when the mail goes out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise.expressions import Q

from api.accounts.models import User
from api.auth.principal import Principal
from api.core import clock
from api.core.errors import Invalid, NotFound
from api.core.logging import get_logger
from api.core.orm import column
from api.mail.service import send_mail
from api.notifications.service import require_writer
from api.resources import Resources
from api.results import report_export, report_range, reports
from api.results.models import SlaReportSchedule
from api.results.report_request import ReportRequest
from api.targets.groups import get_visible_group
from api.targets.models import Target, TargetGroup
from api.workspaces.models import Membership

log = get_logger(__name__)

MAX_RECIPIENTS = 20


async def set_schedule(
    principal: Principal,
    *,
    workspace_id: int,
    recipient_ids: list[int],
    group_id: int | None,
    timezone: str,
    objective: float,
    exclude_maintenance: bool,
) -> SlaReportSchedule:
    require_writer(principal, workspace_id, field="workspaceId")
    recipients = sorted(set(recipient_ids))
    if not recipients:
        raise Invalid("Give at least one recipient (or clear the schedule).", field="recipientIds")
    if len(recipients) > MAX_RECIPIENTS:
        raise Invalid(f"At most {MAX_RECIPIENTS} recipients.", field="recipientIds")
    members = await Membership.filter(workspace_id=workspace_id, user_id__in=recipients).count()
    if members != len(recipients):
        raise Invalid("Every recipient must be a member of the workspace.", field="recipientIds")
    zone = report_range.zone_of(timezone)
    objective = reports.check_objective(objective)
    if group_id is not None:
        group = await get_visible_group(principal, group_id)
        if group.workspace_id != workspace_id:
            raise NotFound("No target group with this id.", field="groupId")
    values = {
        "group_id": group_id,
        "recipient_ids": recipients,
        "timezone": zone.key,
        "objective": objective,
        "exclude_maintenance": exclude_maintenance,
    }
    schedule, created = await SlaReportSchedule.get_or_create(
        workspace_id=workspace_id, defaults=values
    )
    if not created:
        await SlaReportSchedule.filter(id=schedule.id).update(**values)
        await schedule.refresh_from_db()
    return schedule


async def get_schedule(principal: Principal, workspace_id: int) -> SlaReportSchedule | None:
    """The workspace's schedule (None: none), for any member who can read it."""
    principal.check_two_factor(workspace_id, field="workspaceId")
    if not principal.can_read(workspace_id):
        raise NotFound(field="workspaceId")
    return await SlaReportSchedule.get_or_none(workspace_id=workspace_id)


async def clear_schedule(principal: Principal, workspace_id: int) -> bool:
    require_writer(principal, workspace_id, field="workspaceId")
    return bool(await SlaReportSchedule.filter(workspace_id=workspace_id).delete())


def month_to_report(schedule: SlaReportSchedule, now: datetime) -> str:
    """The month ("YYYY-MM") last month is, in the schedule's time zone."""
    today = now.astimezone(report_range.zone_of(schedule.timezone)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def first_month(schedule: SlaReportSchedule) -> str:
    """The first month mailed: the first that ends after the schedule was set, i.e. the
    month it was set in (in its time zone). Set on Dec 7: December's report, on Jan 1."""
    local = schedule.created_at.astimezone(report_range.zone_of(schedule.timezone))
    return f"{local.year:04d}-{local.month:02d}"


async def due(now: datetime | None = None) -> list[tuple[int, str]]:
    """(schedule id, month) of each schedule whose last month was not sent yet, from the
    month it was set in (no catch-up mail for the month before it was set)."""
    now = now or clock.now()
    out = []
    for schedule in await SlaReportSchedule.all().order_by("id"):
        month = month_to_report(schedule, now)
        if month < first_month(schedule):  # "YYYY-MM" strings sort as months do
            continue
        if schedule.last_sent_month != month:
            out.append((schedule.id, month))
    return out


async def send_month(resources: Resources, schedule_id: int, month: str) -> str:
    """Mail the report of `month` to the schedule's recipients who are still members."""
    schedule = await SlaReportSchedule.get_or_none(id=schedule_id)
    if schedule is None or schedule.last_sent_month == month:
        return "skipped"
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    last = date(year + mon // 12, mon % 12 + 1, 1) - timedelta(days=1)
    if schedule.group_id is not None:
        group = await TargetGroup.get(id=schedule.group_id)
        target_ids = sorted(t.id for t in await group.targets.all().only("id"))
    else:
        query = Target.filter(workspace_id=schedule.workspace_id).order_by("id")
        target_ids = sorted(await column(query.limit(reports.MAX_TARGETS), "id"))
    request = ReportRequest(
        workspace_id=schedule.workspace_id,
        target_ids=target_ids,
        group_id=None,
        timezone=schedule.timezone,
        first_day=first,
        last_day=last,
        exclude_maintenance=schedule.exclude_maintenance,
        objective=schedule.objective,
    )
    report = await reports.build_report(
        workspace_id=schedule.workspace_id,
        target_ids=target_ids,
        period=report_range.resolve(
            timezone=schedule.timezone,
            period=None,
            first_day=first,
            last_day=last,
            now=clock.now(),
        ),
        objective=schedule.objective,
        exclude_maintenance=schedule.exclude_maintenance,
        configured_regions=resources.settings.regions,
    )
    # Claim the month (after the work that can fail): a second run sends nothing.
    claimed = (
        await SlaReportSchedule.filter(id=schedule.id)
        .filter(Q(last_sent_month=None) | Q(last_sent_month__not=month))
        .update(last_sent_month=month)
    )
    if claimed != 1:
        return "skipped"
    members = set(
        await Membership.filter(
            workspace_id=schedule.workspace_id, user_id__in=schedule.recipient_ids
        ).values_list("user_id", flat=True)
    )
    users = await User.filter(id__in=sorted(members), is_active=True).order_by("id")
    for user in users:
        principal = Principal(kind="session", user_id=user.id)
        url, _ = report_export.make_link(
            resources, principal, request, report_export.ExportFormat.CSV
        )
        await send_mail(
            resources,
            to=user.email,
            subject=f"Hitflow SLA report for {month}",
            body=_body(report, month, url, resources.settings.export_ttl_hours),
        )
    log.info("sla_report_mailed", schedule_id=schedule.id, month=month, recipients=len(users))
    return "sent"


# A figure the report has none of (no monitored minute, no timed check): null in the
# JSON, an empty cell in the CSV, "no data" in the mail.
NO_DATA = "no data"


def _figure(value: float | None, unit: str) -> str:
    return NO_DATA if value is None else f"{value}{unit}"


def _body(report: reports.SlaReport, month: str, url: str, ttl_hours: int) -> str:
    o = report.overall
    lines = [
        f"SLA report for {month} ({report.range.zone}), objective {report.objective} %.",
        "",
        f"All targets: uptime {_figure(o.uptime_percent, ' %')}, "
        f"downtime {o.downtime_minutes} min, {o.incidents} incidents, "
        f"error budget left {o.error_budget_remaining_minutes} min.",
        "",
    ]
    for t in report.targets:
        f = t.overall
        lines.append(
            f"- {t.name}: uptime {_figure(f.uptime_percent, ' %')}, "
            f"downtime {f.downtime_minutes} min, {f.incidents} incidents, "
            f"p95 {_figure(f.p95_ms, ' ms')}"
        )
    lines += ["", f"The full report as CSV (link valid {ttl_hours} hours):", url, ""]
    return "\n".join(lines)
