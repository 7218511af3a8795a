"""Every validation rule answers a UserError INVALID naming the field; nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from api.targets.models import Target
from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, UPDATE, http_input

HTTP = "HTTP"
CASES: list[tuple[str, dict[str, Any], str]] = [
    # (kind, input overrides, expected field)
    (HTTP, {"name": "   "}, "name"),
    (HTTP, {"name": "x" * 201}, "name"),
    (HTTP, {"intervalSeconds": 10}, "intervalSeconds"),
    (HTTP, {"intervalSeconds": 90_000}, "intervalSeconds"),
    (HTTP, {"timeoutSeconds": 0}, "timeoutSeconds"),
    (HTTP, {"timeoutSeconds": 60}, "timeoutSeconds"),
    (HTTP, {"regions": ["mars-north"]}, "regions"),
    (HTTP, {"regions": ["sa-east"]}, "regions"),  # known but not served here
    (HTTP, {"regions": []}, "regions"),
    (HTTP, {"config": "https://example.test"}, "config"),
    (HTTP, {"config": {}}, "config.url"),
    (HTTP, {"config": {"url": "ftp://example.test/"}}, "config.url"),
    (HTTP, {"config": {"url": "javascript:alert(1)"}}, "config.url"),
    (HTTP, {"config": {"url": "https://exa mple.test/"}}, "config.url"),
    (HTTP, {"config": {"url": "https://-bad-.test/"}}, "config.url"),
    (HTTP, {"config": {"url": "https://example.test:70000/"}}, "config.url"),
    (HTTP, {"config": {"url": "https://example.test:0/"}}, "config.url"),
    (HTTP, {"config": {"url": "https://user:pw@example.test/"}}, "config.url"),
    (HTTP, {"config": {"url": "https://example.test/", "colour": "red"}}, "config.colour"),
    (HTTP, {"config": {"url": "https://e.test/", "method": "BREW"}}, "config.method"),
    (HTTP, {"config": {"url": "https://e.test/", "headers": {"Bad Name": "x"}}}, "config.headers"),
    (HTTP, {"config": {"url": "https://e.test/", "headers": {"X-A": "a\r\nb"}}}, "config.headers"),
    (
        HTTP,
        {"config": {"url": "https://e.test/", "headers": {"X-A": "v" * 9000}}},
        "config.headers",
    ),
    (
        HTTP,
        {"config": {"url": "https://e.test/", "method": "POST", "body": "b" * 70_000}},
        "config.body",
    ),
    (HTTP, {"config": {"url": "https://e.test/", "body": "x"}}, "config.body"),  # GET has no body
    (
        HTTP,
        {"config": {"url": "https://e.test/", "expectedStatus": [200, 700]}},
        "config.expectedStatus",
    ),
    (
        HTTP,
        {"config": {"url": "https://e.test/", "expectedStatus": ["2xy"]}},
        "config.expectedStatus",
    ),
    (HTTP, {"config": {"url": "https://e.test/", "expectedStatus": []}}, "config.expectedStatus"),
    (HTTP, {"config": {"url": "https://e.test/", "jsonPath": "data.ok"}}, "config.jsonPath"),
    (HTTP, {"config": {"url": "https://e.test/", "jsonPath": "$.a..b"}}, "config.jsonPath"),
    (HTTP, {"config": {"url": "https://e.test/", "jsonPath": "$.a[x]"}}, "config.jsonPath"),
    (HTTP, {"config": {"url": "https://e.test/", "jsonPath": "$.a[-1]"}}, "config.jsonPath"),
    (HTTP, {"config": {"url": "https://e.test/", "jsonValue": "ok"}}, "config.jsonValue"),
    (
        HTTP,
        {"config": {"url": "https://e.test/", "followRedirects": "yes"}},
        "config.followRedirects",
    ),
    (
        HTTP,
        {"config": {"url": "https://e.test/", "basicAuth": {"password": "p"}}},
        "config.basicAuth.username",
    ),
    (
        HTTP,
        {"config": {"url": "https://e.test/", "secretHeaders": ["X-Key"]}},
        "config.secretHeaders",
    ),
    (HTTP, {"config": {"url": "https://e.test/", "degradedAboveMs": 0}}, "config.degradedAboveMs"),
    ("TCP", {"config": {"host": "db.test"}}, "config.port"),
    ("TCP", {"config": {"host": "db.test", "port": 0}}, "config.port"),
    ("TCP", {"config": {"host": "db.test", "port": 65536}}, "config.port"),
    ("TCP", {"config": {"host": "db_1.test", "port": 1}}, "config.host"),
    ("TCP", {"config": {"host": "", "port": 1}}, "config.host"),
    ("DNS", {"config": {"name": "example.test", "recordType": "ANY"}}, "config.recordType"),
    ("DNS", {"config": {"name": "example..test"}}, "config.name"),
    ("DNS", {"config": {"name": "example.test", "nameserver": "dns.test"}}, "config.nameserver"),
    ("DNS", {"config": {"name": "example.test", "expected": "1.2.3.4"}}, "config.expected"),
    ("TLS", {"config": {"host": "e.test", "port": 99999}}, "config.port"),
    (
        "TLS",
        {"config": {"host": "e.test", "degradedWithinDays": 5, "downWithinDays": 10}},
        "config.downWithinDays",
    ),
    ("ICMP", {"config": {"host": "e.test", "packets": 0}}, "config.packets"),
    ("ICMP", {"config": {"host": "e.test", "maxLossPercent": 101}}, "config.maxLossPercent"),
    ("HEARTBEAT", {"config": {"graceSeconds": -1}}, "config.graceSeconds"),
    ("HEARTBEAT", {"config": {"url": "https://e.test/"}}, "config.url"),
    (HTTP, {"alertPolicy": {"channelIds": ["nope"]}}, "alertPolicy.channelIds"),
    (HTTP, {"alertPolicy": {"channelIds": [], "retries": -1}}, "alertPolicy.retries"),
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"min_interval_seconds": 30}


@pytest.mark.parametrize(("kind", "overrides", "field"), CASES)
async def test_invalid_input_is_refused_and_nothing_stored(
    gql, settings, kind: str, overrides: dict[str, Any], field: str
) -> None:
    owner = await create_account(settings)
    data = http_input(owner.workspace_gid, kind=kind)
    data.update(overrides)
    result = await gql(CREATE, {"input": data}, token=owner.token)
    assert "errors" not in result, result
    payload = result["data"]["createTarget"]
    assert payload["target"] is None
    assert len(payload["errors"]) == 1, payload
    error = payload["errors"][0]
    assert error["code"] in ("INVALID", "NOT_FOUND"), error
    assert error["field"] == field, error
    assert error["message"]
    assert await Target.all().count() == 0


@pytest.mark.parametrize(
    "config",
    [
        {"url": "https://xn--bcher-kva.example/"},
        {"url": "https://bücher.example/"},
        {"url": "http://[2001:db8::1]:8080/x"},
        {
            "url": "https://example.test/",
            "jsonPath": "$.data.items[0]['a b'].ok",
            "jsonValue": True,
        },
        {"url": "https://example.test/", "expectedStatus": ["2xx", 301, "400-404"]},
        {"url": "https://example.test/", "expectedStatus": "2xx"},
        {"url": "https://example.test/", "method": "POST", "body": "b" * 60_000},
    ],
)
async def test_valid_configs_are_accepted(gql, settings, config: dict[str, Any]) -> None:
    owner = await create_account(settings)
    result = await gql(
        CREATE, {"input": http_input(owner.workspace_gid, config=config)}, token=owner.token
    )
    assert result["data"]["createTarget"]["errors"] == []


async def test_interval_minimum_follows_the_setting(gql, settings) -> None:
    owner = await create_account(settings)
    ok = await gql(
        CREATE,
        {"input": http_input(owner.workspace_gid, intervalSeconds=30, timeoutSeconds=5)},
        token=owner.token,
    )
    assert ok["data"]["createTarget"]["errors"] == []
    low = await gql(
        CREATE,
        {"input": http_input(owner.workspace_gid, intervalSeconds=29, timeoutSeconds=5)},
        token=owner.token,
    )
    assert (
        low["data"]["createTarget"]["errors"][0]["message"]
        == "The interval must be at least 30 seconds."
    )


async def test_invalid_update_changes_nothing(gql, settings) -> None:
    owner = await create_account(settings)
    created = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=owner.token)
    target_id = created["data"]["createTarget"]["target"]["id"]
    before = await Target.get()
    bad = {"name": "New name", "config": {"url": "gopher://x.test/"}}
    result = await gql(UPDATE, {"id": target_id, "input": bad}, token=owner.token)
    assert result["data"]["updateTarget"]["errors"][0]["field"] == "config.url"
    after = await Target.get()
    assert (after.name, after.config) == (before.name, before.config)
    # A timeout that does not fit the existing interval is refused too.
    result = await gql(
        UPDATE, {"id": target_id, "input": {"timeoutSeconds": 61}}, token=owner.token
    )
    assert result["data"]["updateTarget"]["errors"][0]["field"] == "timeoutSeconds"
    result = await gql(UPDATE, {"id": target_id, "input": {"name": None}}, token=owner.token)
    assert result["data"]["updateTarget"]["errors"][0]["field"] == "name"
