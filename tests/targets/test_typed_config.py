"""Targets are created, read and changed through typed, per-kind settings (typedConfig);
the JSON `config` still works for one release."""

from __future__ import annotations

from typing import Any

import pytest

from api.targets.models import Target
from tests.factories.accounts import create_account

TYPED = """
  typedConfig {
    __typename
    ... on HttpConfig { url method headers { name value } expectedStatus keyword
                        basicAuth { username password } secretHeaders }
    ... on TcpConfig { host port }
    ... on DnsConfig { name recordType expected }
    ... on TlsConfig { host port degradedWithinDays downWithinDays }
    ... on IcmpConfig { host packets maxLossPercent }
    ... on HeartbeatConfig { graceSeconds }
  }
"""
CREATE = (
    "mutation($input: TargetInput!) { createTarget(input: $input) {"
    f" target {{ id kind config {TYPED} }} errors {{ field code message }} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: TargetPatch!) { updateTarget(id: $id, input: $input) {"
    f" target {{ id {TYPED} }} errors {{ field code message }} }} }}"
)

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "TCP",
        {"tcp": {"host": "db.example.test", "port": 5432}},
        {"__typename": "TcpConfig", "host": "db.example.test", "port": 5432},
    ),
    (
        "DNS",
        {"dns": {"name": "example.test", "recordType": "MX", "expected": ["mx.example.test"]}},
        {
            "__typename": "DnsConfig",
            "name": "example.test",
            "recordType": "MX",
            "expected": ["mx.example.test"],
        },
    ),
    (
        "TLS",
        {"tls": {"host": "example.test", "degradedWithinDays": 30}},
        {
            "__typename": "TlsConfig",
            "host": "example.test",
            "port": 443,
            "degradedWithinDays": 30,
            "downWithinDays": 0,
        },
    ),
    (
        "ICMP",
        {"icmp": {"host": "192.0.2.10", "packets": 5}},
        {"__typename": "IcmpConfig", "host": "192.0.2.10", "packets": 5, "maxLossPercent": 0},
    ),
    ("HEARTBEAT", {"heartbeat": {}}, {"__typename": "HeartbeatConfig", "graceSeconds": 60}),
]


def _input(account: Any, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "input": {
            "workspaceId": account.workspace_gid,
            "name": "Typed",
            "kind": kind,
            "intervalSeconds": 60,
            "regions": ["eu-west"] if kind != "HEARTBEAT" else None,
            **fields,
        }
    }


@pytest.mark.parametrize(("kind", "typed", "expected"), CASES)
async def test_each_kind_round_trips_through_typed_config(
    gql, settings, kind: str, typed: dict[str, Any], expected: dict[str, Any]
) -> None:
    owner = await create_account(settings)
    result = await gql(CREATE, _input(owner, kind, typedConfig=typed), token=owner.token)
    payload = result["data"]["createTarget"]
    assert payload["errors"] == []
    assert payload["target"]["typedConfig"] == expected


async def test_http_secrets_read_back_masked_and_are_kept_on_update(gql, settings) -> None:
    owner = await create_account(settings)
    typed = {
        "http": {
            "url": "https://shop.example.test/health",
            "method": "POST",
            "body": "{}",
            "headers": [{"name": "X-Api-Key", "value": "k-123456789"}, {"name": "A", "value": "b"}],
            "secretHeaders": ["X-Api-Key"],
            "expectedStatus": ["2xx", "301"],
            "basicAuth": {"username": "ops", "password": "hunter2-long-password"},
        }
    }
    created = await gql(CREATE, _input(owner, "HTTP", typedConfig=typed), token=owner.token)
    target = created["data"]["createTarget"]["target"]
    shown = target["typedConfig"]
    assert shown["method"] == "POST"
    assert {"name": "X-Api-Key", "value": "********"} in shown["headers"]
    assert {"name": "A", "value": "b"} in shown["headers"]
    assert shown["basicAuth"] == {"username": "ops", "password": "********"}
    assert shown["expectedStatus"] == ["2xx", "301"]
    assert "k-123456789" not in str(created) and "hunter2" not in str(created)

    # Sending back what was shown changes the URL only; the secrets are kept.
    typed["http"].update(
        url="https://shop.example.test/v2/health",
        headers=shown["headers"],
        basicAuth=shown["basicAuth"],
    )
    updated = await gql(
        UPDATE, {"id": target["id"], "input": {"typedConfig": typed}}, token=owner.token
    )
    assert updated["data"]["updateTarget"]["errors"] == []
    row = await Target.get()
    assert row.config["url"] == "https://shop.example.test/v2/health"
    assert row.secrets_encrypted and "hunter2" not in row.secrets_encrypted


async def test_a_member_of_another_kind_or_both_forms_are_refused(gql, settings) -> None:
    owner = await create_account(settings)
    cases = [
        _input(owner, "HTTP", typedConfig={"tcp": {"host": "db.example.test", "port": 5432}}),
        _input(
            owner,
            "TCP",
            typedConfig={"tcp": {"host": "db.example.test", "port": 5432}},
            config={"host": "db.example.test", "port": 5432},
        ),
        _input(owner, "TCP"),
    ]
    for variables in cases:
        result = await gql(CREATE, variables, token=owner.token)
        errors = result["data"]["createTarget"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("typedConfig", "INVALID")]
    assert await Target.all().count() == 0


async def test_two_members_at_once_are_a_validation_error(gql, settings) -> None:
    owner = await create_account(settings)
    both = {"tcp": {"host": "a.example.test", "port": 1}, "icmp": {"host": "a.example.test"}}
    result = await gql(CREATE, _input(owner, "TCP", typedConfig=both), token=owner.token)
    assert result["data"] is None
    assert "exactly one" in result["errors"][0]["message"].lower()
    assert await Target.all().count() == 0


async def test_typed_errors_name_the_typed_field(gql, settings) -> None:
    owner = await create_account(settings)
    bad = {"http": {"url": "ftp://example.test/"}}
    result = await gql(CREATE, _input(owner, "HTTP", typedConfig=bad), token=owner.token)
    errors = result["data"]["createTarget"]["errors"]
    assert errors[0]["code"] == "INVALID" and errors[0]["field"] == "config.url"


async def test_the_json_config_still_works_and_reads_back_typed(gql, settings) -> None:
    owner = await create_account(settings)
    variables = _input(owner, "TCP", config={"host": "db.example.test", "port": 5432})
    result = await gql(CREATE, variables, token=owner.token)
    target = result["data"]["createTarget"]["target"]
    assert target["config"] == {"host": "db.example.test", "port": 5432}
    assert target["typedConfig"]["__typename"] == "TcpConfig"
