"""Out-of-range ids, odd digits and naive datetimes answer null / NOT_FOUND / INVALID."""

from __future__ import annotations

import base64

from api.core.ids import encode
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.targets.helpers import gid

HUGE = "99999999999999999999999"


def _raw_gid(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _codes(answer: dict) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors") or []]


async def test_huge_and_unicode_ids_are_not_found(gql, settings) -> None:
    owner = await create_account(settings)
    for node_id in (HUGE, "9223372036854775808", "²", "0", "-1"):
        for type_name in ("Target", "Workspace", "CheckResult", "Incident"):
            bad = _raw_gid(f"{type_name}:{node_id}")
            answer = await gql(
                "query($id: ID!) { node(id: $id) { id } }", {"id": bad}, token=owner.token
            )
            assert "INTERNAL" not in _codes(answer), (type_name, node_id, answer)
            assert answer["data"]["node"] is None
        bad_target = _raw_gid(f"Target:{node_id}")
        read = await gql(
            "query($id: ID!) { target(id: $id) { id } }", {"id": bad_target}, token=owner.token
        )
        assert "INTERNAL" not in _codes(read), read
        assert read["data"]["target"] is None
        deleted = await gql(
            "mutation($id: ID!) { deleteTarget(id: $id) { deletedId errors { code field } } }",
            {"id": bad_target},
            token=owner.token,
        )
        assert deleted["data"]["deleteTarget"]["errors"][0]["code"] == "NOT_FOUND", deleted


async def test_huge_cursors_are_invalid(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace.id)
    cursor = base64.urlsafe_b64encode(f"c:{HUGE}".encode()).decode()
    listed = await gql(
        "query($id: ID!, $after: String) { node(id: $id) { ... on Workspace {"
        " targets(after: $after) { totalCount } } } }",
        {"id": owner.workspace_gid, "after": cursor},
        token=owner.token,
    )
    assert _codes(listed) == ["INVALID"], listed
    result_cursor = base64.urlsafe_b64encode(f"r:2026-03-01T00:00:00+00:00|{HUGE}".encode())
    for after in (result_cursor.decode(), base64.urlsafe_b64encode(b"r:2026-03-01|1").decode()):
        page = await gql(
            "query($id: ID!, $after: String) { target(id: $id) { results(after: $after) {"
            " totalCount } } }",
            {"id": gid(target), "after": after},
            token=owner.token,
        )
        assert _codes(page) == ["INVALID"], page


async def test_naive_datetimes_are_invalid_and_named(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace.id)
    stats = await gql(
        'query($id: ID!) { target(id: $id) { stats(since: "2020-01-01T00:00:00") { checks } } }',
        {"id": gid(target)},
        token=owner.token,
    )
    assert _codes(stats) == ["INVALID"], stats
    assert "since" in stats["errors"][0]["message"]
    aware = await gql(
        'query($id: ID!) { target(id: $id) { stats(since: "2020-01-01T00:00:00Z") { checks } } }',
        {"id": gid(target)},
        token=owner.token,
    )
    assert aware["data"]["target"]["stats"]["checks"] == 0
    for arg in ("since", "until"):
        page = await gql(
            f'query($id: ID!) {{ target(id: $id) {{ results({arg}: "2020-01-01T00:00:00") {{'
            " totalCount } } }",
            {"id": gid(target)},
            token=owner.token,
        )
        assert _codes(page) == ["INVALID"], page
        assert arg in page["errors"][0]["message"]


async def test_naive_maintenance_until_is_invalid(gql, settings) -> None:
    owner = await create_account(settings)
    answer = await gql(
        "mutation($input: MaintenanceWindowInput!) { createMaintenanceWindow(input: $input) {"
        " maintenanceWindow { id } errors { field code } } }",
        {
            "input": {
                "workspaceId": owner.workspace_gid,
                "name": "weekly",
                "startsAt": "2030-01-01T00:00:00Z",
                "endsAt": "2030-01-01T01:00:00Z",
                "weekly": True,
                "until": "2030-02-01T00:00:00",
            }
        },
        token=owner.token,
    )
    assert answer["data"]["createMaintenanceWindow"]["errors"] == [
        {"field": "until", "code": "INVALID"}
    ], answer
    assert encode("Workspace", owner.workspace.id) == owner.workspace_gid
