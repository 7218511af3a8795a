"""Write credentials of a target stay with writers: scopes, roles and destinations."""

from __future__ import annotations

from datetime import UTC, datetime

from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.results import create_result
from tests.targets.helpers import CREATE, GET, UPDATE, http_input

RESULT_TARGET = """query($id: ID!) { node(id: $id) { ... on CheckResult {
  region target { config heartbeatUrl } } } }"""


async def _heartbeat_target(gql, owner) -> dict:
    data = http_input(
        owner.workspace_gid, kind="HEARTBEAT", config={"graceSeconds": 30}, intervalSeconds=3600
    )
    result = await gql(CREATE, {"input": data}, token=owner.token)
    assert result["data"]["createTarget"]["errors"] == []
    return result["data"]["createTarget"]["target"]


async def test_results_read_token_cannot_read_the_target_through_a_result(gql, settings) -> None:
    owner = await create_account(settings)
    target = await _heartbeat_target(gql, owner)
    assert target["heartbeatUrl"]
    from api.core.ids import decode, encode

    row = await create_result(
        decode(target["id"], "Target"),
        check_id="c1",
        region="heartbeat",
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    result_gid = encode("CheckResult", row.id)
    pat = await create_pat(owner.user, ["results:read"])
    answer = await gql(RESULT_TARGET, {"id": result_gid}, token=pat)
    assert answer["data"]["node"] == {"region": "heartbeat", "target": None}
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "targets:read" in answer["errors"][0]["message"]
    assert target["heartbeatUrl"] not in str(answer)

    both = await create_pat(owner.user, ["results:read", "targets:read"])
    allowed = await gql(RESULT_TARGET, {"id": result_gid}, token=both)
    # The target is readable, its write credential is not (targets:write needed).
    assert allowed["data"]["node"]["target"]["config"] == {"graceSeconds": 30}
    assert allowed["data"]["node"]["target"]["heartbeatUrl"] is None
    writer = await create_pat(owner.user, ["results:read", "targets:read", "targets:write"])
    written = await gql(RESULT_TARGET, {"id": result_gid}, token=writer)
    assert written["data"]["node"]["target"]["heartbeatUrl"] == target["heartbeatUrl"]


async def test_a_viewer_does_not_get_the_heartbeat_url(gql, settings) -> None:
    owner = await create_account(settings)
    viewer = await create_account(settings)
    member = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    target = await _heartbeat_target(gql, owner)
    seen = await gql(GET, {"id": target["id"]}, token=viewer.token)
    assert seen["data"]["target"]["name"] == "Homepage"
    assert seen["data"]["target"]["heartbeatUrl"] is None
    by_member = await gql(GET, {"id": target["id"]}, token=member.token)
    assert by_member["data"]["target"]["heartbeatUrl"] == target["heartbeatUrl"]


AUTH = {"username": "monitor", "password": "s3cret-pa55word"}


async def test_changing_the_host_needs_the_password_again(gql, settings) -> None:
    owner = await create_account(settings)
    config = {"url": "https://api.example.test/health", "basicAuth": AUTH}
    created = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, config=config)}, token=owner.token
    )
    target_id = created["data"]["createTarget"]["target"]["id"]
    masked = {"username": "monitor", "password": "********"}
    for url in (
        "https://attacker.example/",
        "http://api.example.test/health",
        "https://api.example.test:8443/health",
    ):
        moved = await gql(
            UPDATE,
            {"id": target_id, "input": {"config": {"url": url, "basicAuth": masked}}},
            token=owner.token,
        )
        payload = moved["data"]["updateTarget"]
        assert payload["target"] is None, url
        assert payload["errors"][0]["code"] == "INVALID"
        assert payload["errors"][0]["field"] == "config.basicAuth.password"
        assert "re-enter" in payload["errors"][0]["message"].lower()

    same_host = await gql(
        UPDATE,
        {
            "id": target_id,
            "input": {"config": {"url": "https://api.example.test/other", "basicAuth": masked}},
        },
        token=owner.token,
    )
    assert same_host["data"]["updateTarget"]["errors"] == []
    re_entered = await gql(
        UPDATE,
        {"id": target_id, "input": {"config": {"url": "https://new.example/", "basicAuth": AUTH}}},
        token=owner.token,
    )
    assert re_entered["data"]["updateTarget"]["errors"] == []


async def test_secret_headers_are_not_carried_to_a_new_host(gql, settings) -> None:
    owner = await create_account(settings)
    config = {
        "url": "https://api.example.test/health",
        "headers": {"X-Api-Key": "key-0123456789abcdef"},
        "secretHeaders": ["X-Api-Key"],
    }
    created = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, config=config)}, token=owner.token
    )
    target_id = created["data"]["createTarget"]["target"]["id"]
    moved = await gql(
        UPDATE,
        {
            "id": target_id,
            "input": {
                "config": {"url": "https://attacker.example/", "secretHeaders": ["X-Api-Key"]}
            },
        },
        token=owner.token,
    )
    assert moved["data"]["updateTarget"]["errors"][0]["field"] == "config.secretHeaders"


async def test_alert_policy_needs_alerts_write(gql, settings) -> None:
    owner = await create_account(settings)
    pat = await create_pat(owner.user, ["targets:read", "targets:write"])
    policy = {"channelIds": []}
    refused = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, alertPolicy=policy)}, token=pat
    )
    assert refused["data"] is None or refused["data"]["createTarget"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "alerts:write" in refused["errors"][0]["message"]

    plain = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=pat)
    target_id = plain["data"]["createTarget"]["target"]["id"]
    patch = await gql(UPDATE, {"id": target_id, "input": {"alertPolicy": policy}}, token=pat)
    assert patch["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    renamed = await gql(UPDATE, {"id": target_id, "input": {"name": "New"}}, token=pat)
    assert renamed["data"]["updateTarget"]["errors"] == []

    full = await create_pat(owner.user, ["targets:read", "targets:write", "alerts:write"])
    allowed = await gql(UPDATE, {"id": target_id, "input": {"alertPolicy": policy}}, token=full)
    assert allowed["data"]["updateTarget"]["errors"] == []
