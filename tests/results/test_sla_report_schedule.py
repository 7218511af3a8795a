"""Monthly SLA report e-mails: set/clear per workspace, members only, sent once a month."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.core import clock
from api.core.ids import encode
from api.results.models import SlaReportSchedule
from api.results.report_export import open_link
from api.results.report_schedule import due
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.targets import create_target
from workers.jobs.sla_reports import queue_monthly_sla_reports
from workers.registry import CORE_CRON_JOBS

PARIS = ZoneInfo("Europe/Paris")

SET = """mutation($input: SlaReportScheduleInput!) { setSlaReportSchedule(input: $input) {
  schedule { recipientIds timezone lastSentMonth } errors { code field } } }"""
CLEAR = """mutation($ws: ID!) { clearSlaReportSchedule(workspaceId: $ws) {
  schedule { timezone } errors { code field } } }"""


def schedule_input(account, *recipients, **extra) -> dict:
    return {
        "input": {
            "workspaceId": account.workspace_gid,
            "recipientIds": [encode("User", u.id) for u in recipients],
            "timezone": "Europe/Paris",
            **extra,
        }
    }


def test_the_cron_is_registered_and_unique() -> None:
    jobs = [j for j in CORE_CRON_JOBS if j.coroutine is queue_monthly_sla_reports]
    assert len(jobs) == 1 and jobs[0].unique


async def test_recipients_must_be_members(settings, gql) -> None:
    owner, outsider = await create_account(settings), await create_account(settings)
    body = await gql(SET, schedule_input(owner, owner.user, outsider.user), token=owner.token)
    assert body["data"]["setSlaReportSchedule"]["errors"] == [
        {"code": "INVALID", "field": "recipientIds"}
    ]
    body = await gql(
        SET, schedule_input(owner, owner.user, timezone="Nowhere/City"), token=owner.token
    )
    assert body["data"]["setSlaReportSchedule"]["errors"] == [
        {"code": "INVALID", "field": "timezone"}
    ]
    assert await SlaReportSchedule.all().count() == 0


async def test_strangers_and_tokens_without_the_scope_are_refused(settings, gql) -> None:
    owner, stranger = await create_account(settings), await create_account(settings)
    body = await gql(SET, schedule_input(owner, stranger.user), token=stranger.token)
    assert body["data"]["setSlaReportSchedule"]["errors"][0]["code"] == "NOT_FOUND"
    body = await gql(CLEAR, {"ws": owner.workspace_gid}, token=stranger.token)
    assert body["data"]["clearSlaReportSchedule"]["errors"][0]["code"] == "NOT_FOUND"
    pat = await create_pat(owner.user, ["results:read", "alerts:read"])
    body = await gql(SET, schedule_input(owner, owner.user), token=pat)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await SlaReportSchedule.all().count() == 0


async def test_the_first_mail_is_the_month_set_in_then_once_to_the_members(
    settings, gql, resources, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings, email="owner@example.test")
    member = await create_account(settings, email="member@example.test")
    await add_member(owner.workspace, member.user, Role.MEMBER)
    await create_target(owner.workspace, name="Shop front")  # no results: no figures
    body = await gql(SET, schedule_input(owner, member.user), token=owner.token)
    assert body["data"]["setSlaReportSchedule"]["schedule"] == {
        "recipientIds": [encode("User", member.user.id)],
        "timezone": "Europe/Paris",
        "lastSentMonth": None,
    }
    ctx = {"resources": resources}
    # Set mid-month: no mail now for last month (which ended before it was set).
    assert await queue_monthly_sla_reports(ctx) == 0
    await run_core_jobs()
    assert mailbox.bodies("member@example.test") == []
    # Early on the 1st of next month (Paris): this month's report, once.
    now = clock.now()
    this_month = now.astimezone(PARIS).date().replace(day=1)
    next_first = (this_month + timedelta(days=32)).replace(day=1)
    cron_at = datetime.combine(next_first, time(0, 50), tzinfo=PARIS)
    clock.advance(cron_at - now)
    assert await queue_monthly_sla_reports(ctx) == 1
    assert await queue_monthly_sla_reports(ctx) == 0  # same job id: not twice
    await run_core_jobs()
    bodies = mailbox.bodies("member@example.test")
    assert len(bodies) == 1
    assert f"SLA report for {this_month:%Y-%m}" in bodies[0]
    assert "Shop front" in bodies[0] and "/reports/sla/hf_sla_" in bodies[0]
    # No monitored minute, no timed check: "no data", as the JSON says null.
    assert "None" not in bodies[0]
    assert "All targets: uptime no data," in bodies[0]
    line = "- Shop front: uptime no data, downtime 0.0 min, 0 incidents, p95 no data"
    assert line in bodies[0]
    assert mailbox.bodies("owner@example.test") == []
    # The CSV behind the link agrees: empty cells where the JSON has null.
    token = re.search(r"/reports/sla/(hf_sla_\S+)", bodies[0]).group(1)  # type: ignore[union-attr]
    found = await open_link(resources, token)
    assert found is not None
    rows = list(csv.DictReader(io.StringIO(found[0].decode())))
    shop = next(r for r in rows if r["target"] == "Shop front" and r["region"] == "all")
    assert (shop["uptime_percent"], shop["p95_ms"], shop["monitored_minutes"]) == ("", "", "0.0")
    # Sent: the next runs this month queue nothing and mail nothing.
    assert await queue_monthly_sla_reports(ctx) == 0
    await run_core_jobs()
    assert len(mailbox.bodies("member@example.test")) == 1
    # Cleared: nothing more.
    body = await gql(CLEAR, {"ws": owner.workspace_gid}, token=owner.token)
    assert body["data"]["clearSlaReportSchedule"] == {"schedule": None, "errors": []}
    assert await SlaReportSchedule.all().count() == 0


async def test_a_schedule_set_last_month_mails_last_month(settings, gql) -> None:
    owner = await create_account(settings)
    body = await gql(SET, schedule_input(owner, owner.user), token=owner.token)
    assert body["data"]["setSlaReportSchedule"]["errors"] == []
    schedule = await SlaReportSchedule.get(workspace_id=owner.workspace.id)
    assert await due() == []
    # Set in the last days of last month (Paris), not sent yet (the worker was down on
    # the 1st): last month ended after it was set, so it is due.
    first_this = clock.now().astimezone(PARIS).date().replace(day=1)
    set_at = datetime.combine(first_this - timedelta(days=2), time(12), tzinfo=PARIS)
    await SlaReportSchedule.filter(id=schedule.id).update(created_at=set_at)
    last = first_this - timedelta(days=1)
    assert await due() == [(schedule.id, f"{last:%Y-%m}")]


READ = """query($ws: ID!) { node(id: $ws) { ... on Workspace {
  slaReportSchedule { recipientIds timezone objective excludeMaintenance lastSentMonth } } } }"""


async def test_the_schedule_reads_back_on_the_workspace(settings, gql) -> None:
    owner, stranger = await create_account(settings), await create_account(settings)
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    ws = {"ws": owner.workspace_gid}
    body = await gql(READ, ws, token=owner.token)
    assert body["data"]["node"] == {"slaReportSchedule": None}  # none yet
    body = await gql(SET, schedule_input(owner, owner.user, objective=99.5), token=owner.token)
    assert body["data"]["setSlaReportSchedule"]["errors"] == []
    expected = {
        "recipientIds": [encode("User", owner.user.id)],
        "timezone": "Europe/Paris",
        "objective": 99.5,
        "excludeMaintenance": True,
        "lastSentMonth": None,
    }
    for account in (owner, viewer):  # any member who may read alert settings
        body = await gql(READ, ws, token=account.token)
        assert body["data"]["node"] == {"slaReportSchedule": expected}, body
    # Another workspace's: not found (no enumeration).
    body = await gql(READ, ws, token=stranger.token)
    assert body["data"]["node"] is None
    # Like the mutation's read side: the alerts:read scope.
    pat = await create_pat(owner.user, ["results:read", "targets:read"])
    body = await gql(READ, ws, token=pat)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    pat = await create_pat(owner.user, ["alerts:read", "targets:read"])
    body = await gql(READ, ws, token=pat)
    assert body["data"]["node"] == {"slaReportSchedule": expected}, body
