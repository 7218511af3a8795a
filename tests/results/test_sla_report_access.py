"""slaReport and exportSlaReport: tenancy, scopes, clear errors, the download link."""

from __future__ import annotations

from api.core.ids import encode
from api.targets.models import ResultRollup
from api.workspaces.models import Membership, Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.targets import create_target

QUERY = """query($input: SlaReportInput!) { slaReport(input: $input) {
  overall { uptimePercent } targets { name } } }"""
EXPORT = """mutation($input: SlaReportInput!, $format: SlaExportFormat!) {
  exportSlaReport(input: $input, format: $format) { url expiresAt errors { code field } } }"""


def report_input(workspace_gid: str, target_id: int, **extra: object) -> dict:
    return {
        "workspaceId": workspace_gid,
        "scope": {"targetIds": [encode("Target", target_id)]},
        "period": "LAST_30_DAYS",
        **extra,
    }


async def test_another_workspace_reads_null(settings, gql) -> None:
    owner, stranger = await create_account(settings), await create_account(settings)
    target = await create_target(owner.workspace, name="=cmd()")
    mine = await gql(
        QUERY, {"input": report_input(owner.workspace_gid, target.id)}, token=owner.token
    )
    assert mine["data"]["slaReport"]["targets"] == [{"name": "=cmd()"}]
    # The stranger names the owner's workspace, or their own with the owner's target.
    for workspace_gid in (owner.workspace_gid, stranger.workspace_gid):
        body = await gql(
            QUERY, {"input": report_input(workspace_gid, target.id)}, token=stranger.token
        )
        assert body["data"] == {"slaReport": None}
    anonymous = await gql(QUERY, {"input": report_input(owner.workspace_gid, target.id)})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_token_without_results_read_is_refused(settings, gql) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace)
    pat = await create_pat(owner.user, ["targets:read"])
    variables = {"input": report_input(owner.workspace_gid, target.id)}
    body = await gql(QUERY, variables, token=pat)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(EXPORT, {**variables, "format": "CSV"}, token=pat)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The link is a credential: even a token that reads results cannot mint one.
    reader = await create_pat(owner.user, ["results:read"])
    assert (await gql(QUERY, variables, token=reader))["data"]["slaReport"] is not None
    body = await gql(EXPORT, {**variables, "format": "CSV"}, token=reader)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None


async def test_bad_input_gets_clear_errors(settings, gql) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace)
    cases = [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"objective": 100.0}, "objective"),
        ({"period": None, "from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"period": None, "from": "2024-01-01", "to": "2025-06-01"}, "to"),
        ({"from": "2026-05-01", "to": "2026-05-31"}, "period"),
    ]
    for extra, argument in cases:
        variables = {"input": report_input(owner.workspace_gid, target.id, **extra)}
        body = await gql(QUERY, variables, token=owner.token)
        assert body["errors"][0]["extensions"]["code"] == "INVALID", extra
        assert body["errors"][0]["extensions"]["argument"] == argument, extra
        body = await gql(EXPORT, {**variables, "format": "JSON"}, token=owner.token)
        assert body["data"]["exportSlaReport"]["errors"] == [
            {"code": "INVALID", "field": argument}
        ], extra


async def test_the_download_link_gives_csv_while_the_user_is_a_member(
    settings, gql, client
) -> None:
    owner = await create_account(settings)
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    target = await create_target(owner.workspace, name="=HYPERLINK()")
    variables = {"input": report_input(owner.workspace_gid, target.id), "format": "CSV"}
    body = await gql(EXPORT, variables, token=member.token)
    url = body["data"]["exportSlaReport"]["url"]
    path = "/reports/sla/" + url.split("/reports/sla/", 1)[1]
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    lines = response.text.splitlines()
    assert lines[0].startswith("target,region,monitored_minutes,uptime_percent")
    assert lines[1].startswith("'=HYPERLINK(),all,")  # a name is never a formula
    body = await gql(EXPORT, {**variables, "format": "JSON"}, token=member.token)
    json_path = "/reports/sla/" + body["data"]["exportSlaReport"]["url"].split("/reports/sla/")[1]
    document = (await client.get(json_path)).json()
    assert document["format"] == "hitflow-sla-report/1"
    assert [t["name"] for t in document["targets"]] == ["=HYPERLINK()"]
    assert document["timezone"] == "UTC" and document["objective"] == 99.9
    # A tampered link, then the same link once the member has left: 404.
    assert (await client.get(path[:-4] + "AAAA")).status_code == 404
    await Membership.filter(user_id=member.user.id, workspace_id=owner.workspace.id).delete()
    assert (await client.get(path)).status_code == 404
    assert await ResultRollup.all().count() == 0
