from __future__ import annotations

from api.core.ids import decode
from api.targets.models import Target
from api.targets.schedule import DUE_KEY
from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, DELETE, GET, UPDATE, gid, http_input


async def test_create_http_target_returns_it_and_schedules_it(gql, settings, resources) -> None:
    owner = await create_account(settings)
    result = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=owner.token)
    assert "errors" not in result, result
    payload = result["data"]["createTarget"]
    assert payload["errors"] == []
    target = payload["target"]
    assert target["name"] == "Homepage"
    assert target["kind"] == "HTTP"
    assert target["status"] == "PENDING"
    assert target["intervalSeconds"] == 60
    assert target["timeoutSeconds"] == 10.0
    assert [r["code"] for r in target["regions"]] == ["eu-west", "us-east"]
    assert target["regions"][0] == {"code": "eu-west", "name": "Paris", "continent": "Europe"}
    # Defaults are filled in so clients see the effective settings.
    assert target["config"]["url"] == "https://example.test/health"
    assert target["config"]["method"] == "GET"
    assert target["config"]["followRedirects"] is True
    assert target["heartbeatUrl"] is None
    row = await Target.get(name="Homepage")
    assert row.workspace_id == owner.workspace.id  # type: ignore[attr-defined]
    assert await resources.redis.zscore(DUE_KEY, str(row.id)) is not None


async def test_default_regions_are_every_served_region(gql, settings) -> None:
    owner = await create_account(settings)
    data = http_input(owner.workspace_gid)
    del data["regions"]
    result = await gql(CREATE, {"input": data}, token=owner.token)
    regions = result["data"]["createTarget"]["target"]["regions"]
    assert [r["code"] for r in regions] == ["eu-west", "us-east", "ap-south"]


async def test_create_every_kind(gql, settings) -> None:
    owner = await create_account(settings)
    configs = {
        "TCP": {"host": "db.example.test", "port": 5432},
        "DNS": {"name": "example.test", "recordType": "mx", "expected": ["mail.example.test"]},
        "TLS": {"host": "example.test"},
        "ICMP": {"host": "192.0.2.10", "packets": 5},
        "HEARTBEAT": {"graceSeconds": 120},
    }
    for kind, config in configs.items():
        data = http_input(owner.workspace_gid, kind=kind, config=config, name=kind)
        result = await gql(CREATE, {"input": data}, token=owner.token)
        payload = result["data"]["createTarget"]
        assert payload["errors"] == [], (kind, payload)
        assert payload["target"]["kind"] == kind
    tls = await Target.get(name="TLS")
    assert tls.config == {
        "host": "example.test",
        "port": 443,
        "degradedWithinDays": 14,
        "downWithinDays": 0,
    }
    dns = await Target.get(name="DNS")
    assert dns.config["recordType"] == "MX"


async def test_read_update_delete(gql, settings, resources) -> None:
    owner = await create_account(settings)
    created = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=owner.token)
    target_id = created["data"]["createTarget"]["target"]["id"]

    read = await gql(GET, {"id": target_id}, token=owner.token)
    assert read["data"]["target"]["name"] == "Homepage"

    patch = {"name": "Home", "intervalSeconds": 120, "regions": ["ap-south"]}
    updated = await gql(UPDATE, {"id": target_id, "input": patch}, token=owner.token)
    payload = updated["data"]["updateTarget"]
    assert payload["errors"] == []
    assert payload["target"]["name"] == "Home"
    assert payload["target"]["intervalSeconds"] == 120
    assert payload["target"]["timeoutSeconds"] == 10.0  # untouched
    assert payload["target"]["config"]["url"] == "https://example.test/health"  # untouched
    assert [r["code"] for r in payload["target"]["regions"]] == ["ap-south"]

    deleted = await gql(DELETE, {"id": target_id}, token=owner.token)
    assert deleted["data"]["deleteTarget"] == {"deletedId": target_id, "errors": []}
    assert await Target.all().count() == 0
    assert await resources.redis.zcard(DUE_KEY) == 0
    again = await gql(GET, {"id": target_id}, token=owner.token)
    assert again["data"]["target"] is None


async def test_update_config_replaces_it(gql, settings) -> None:
    owner = await create_account(settings)
    created = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=owner.token)
    target_id = created["data"]["createTarget"]["target"]["id"]
    new = {"url": "https://example.test/v2", "method": "post", "body": "{}", "keyword": "ok"}
    result = await gql(UPDATE, {"id": target_id, "input": {"config": new}}, token=owner.token)
    config = result["data"]["updateTarget"]["target"]["config"]
    assert config["url"] == "https://example.test/v2"
    assert config["method"] == "POST"
    assert config["keyword"] == "ok"


async def test_alert_policy_is_stored_and_returned(gql, settings) -> None:
    owner = await create_account(settings)
    data = http_input(owner.workspace_gid, alertPolicy={"channelIds": [], "notifyOn": ["DOWN"]})
    result = await gql(CREATE, {"input": data}, token=owner.token)
    payload = result["data"]["createTarget"]
    assert payload["errors"] == []
    policy = payload["target"]["alertPolicy"]
    assert policy["channelIds"] == []
    assert policy["notifyOn"] == ["DOWN"]
    row = await Target.get(id=decode(payload["target"]["id"], "Target"))
    assert row.alert_policy["notifyOn"] == ["DOWN"]


async def test_unknown_id_is_not_found(gql, settings) -> None:
    owner = await create_account(settings)
    result = await gql(UPDATE, {"id": gid(999), "input": {"name": "x"}}, token=owner.token)
    assert result["data"]["updateTarget"]["errors"][0]["code"] == "NOT_FOUND"
    result = await gql(DELETE, {"id": "garbage"}, token=owner.token)
    assert result["data"]["deleteTarget"]["errors"][0]["code"] == "NOT_FOUND"
