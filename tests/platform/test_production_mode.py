"""Production mode (HITFLOW_ENV=production): what an anonymous visitor learns of the schema,
whose forwarded headers are believed, which destinations may be saved."""

from __future__ import annotations

from typing import Any

import pytest

from api.cli.process import api_server
from tests.factories.accounts import create_account
from tests.platform.helpers import app_client
from tests.targets.helpers import CREATE, http_input

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Target") { fields { name } } }'
CHANNEL = """mutation($input: AlertChannelInput!) {
  createAlertChannel(input: $input) { alertChannel { id } errors { field code message } }
}"""


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"env": "production", "probe_allow_private_networks": False}


async def post(client: Any, query: str, variables: Any = None, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


# --- Introspection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [SCHEMA, TYPE, "{ viewer { __typename } __schema { description } }"]
)
async def test_anonymous_introspection_is_refused(client, query) -> None:
    body = await post(client, query)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert error["message"] == "Introspection needs a signed-in user or a token."


async def test_typename_is_not_introspection(client) -> None:
    assert (await post(client, "{ __typename }"))["data"] == {"__typename": "Query"}


async def test_signed_in_users_may_introspect(client, settings) -> None:
    account = await create_account(settings)
    body = await post(client, SCHEMA, token=account.token)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    body = await post(client, TYPE, token=account.token)
    assert {"name": "heartbeatUrl"} in body["data"]["__type"]["fields"]


async def test_development_keeps_anonymous_introspection(
    resources, settings, tmp_path, smtp
) -> None:
    from tests.conftest import make_settings

    development = make_settings(tmp_path, smtp)
    resources.settings = development
    async with app_client(resources) as client:
        body = await post(client, SCHEMA)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


# --- Suggestions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ nod { id } }", None),
        ("{ viewer { usr { id } } }", None),
        (
            'mutation($r: Role!) { changeRole(workspaceId: "x", userId: "y", role: $r)'
            " { errors { code } } }",
            {"r": "OWNR"},
        ),
        (
            'mutation { changeRole(workspaceId: "x", userId: "y", role: OWNR) { errors { code } } }',
            None,
        ),
        (CREATE, {"input": {"workspaceId": "x", "nme": "x", "kind": "HTTP", "config": {}}}),
    ],
)
async def test_no_did_you_mean_in_production(client, settings, query, variables) -> None:
    account = await create_account(settings)
    body = await post(client, query, variables, token=account.token)
    assert body["errors"]
    for error in body["errors"]:
        assert "Did you mean" not in error["message"], error
        assert error["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT")


# --- Forwarded headers -----------------------------------------------------------------


async def peer_seen_by_app(resources: Any, peer: str, forwarded_for: str) -> tuple[str, str]:
    """The client address and scheme our app sees behind uvicorn's real proxy middleware."""
    server = api_server(resources)
    config = server.config
    config.load()
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    middleware = config.loaded_app
    while not hasattr(middleware, "trusted_hosts") and hasattr(middleware, "app"):
        middleware = middleware.app
    if not hasattr(middleware, "trusted_hosts"):
        return peer, "http"  # no proxy middleware at all: the peer is the client
    middleware.app = app
    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 50000),
        "headers": [(b"x-forwarded-for", forwarded_for.encode()), (b"x-forwarded-proto", b"https")],
    }
    await middleware(scope, None, None)
    return seen["client"][0], seen["scheme"]


async def test_forwarded_headers_are_believed_only_from_the_configured_proxies(
    resources, settings
) -> None:
    resources.settings = settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    assert await peer_seen_by_app(resources, "10.1.2.3", "198.51.100.9") == (
        "198.51.100.9",
        "https",
    )
    # Anyone else claiming to forward for someone is that someone's spoofer.
    assert await peer_seen_by_app(resources, "203.0.113.7", "198.51.100.9") == (
        "203.0.113.7",
        "http",
    )
    assert await peer_seen_by_app(resources, "127.0.0.1", "198.51.100.9") == ("127.0.0.1", "http")


async def test_no_trusted_proxies_means_forwarded_headers_are_ignored(resources, settings) -> None:
    resources.settings = settings.model_copy(update={"trusted_proxies": []})
    assert await peer_seen_by_app(resources, "127.0.0.1", "198.51.100.9") == ("127.0.0.1", "http")


def test_trusted_proxies_setting_is_parsed_and_checked(monkeypatch, tmp_path) -> None:
    from api.settings import Settings

    monkeypatch.setenv("HITFLOW_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1 ,::1")
    assert Settings(data_dir=tmp_path).trusted_proxies == ["10.0.0.0/8", "192.0.2.1", "::1"]
    monkeypatch.setenv("HITFLOW_TRUSTED_PROXIES", "")
    assert Settings(data_dir=tmp_path).trusted_proxies == []
    monkeypatch.setenv("HITFLOW_TRUSTED_PROXIES", "proxy.internal")
    with pytest.raises(ValueError, match="IP addresses or networks"):
        Settings(data_dir=tmp_path)
    monkeypatch.delenv("HITFLOW_TRUSTED_PROXIES")
    assert Settings(data_dir=tmp_path).trusted_proxies == ["127.0.0.1", "::1"]


# --- Private destinations refused when saved ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "config", "field", "reason"),
    [
        ("HTTP", {"url": "http://127.0.0.1:8080/health"}, "config.url", "loopback"),
        ("HTTP", {"url": "https://[::1]/"}, "config.url", "loopback"),
        ("HTTP", {"url": "http://localhost:9000/"}, "config.url", "loopback"),
        ("HTTP", {"url": "http://10.0.0.8/"}, "config.url", "private"),
        ("HTTP", {"url": "http://169.254.10.1/"}, "config.url", "link-local"),
        ("HTTP", {"url": "http://[::ffff:192.168.1.1]/"}, "config.url", "private"),
        ("TCP", {"host": "192.168.1.20", "port": 5432}, "config.host", "private"),
        ("TLS", {"host": "fe80::1"}, "config.host", "link-local"),
        ("ICMP", {"host": "0.0.0.0"}, "config.host", "unspecified"),
        ("DNS", {"name": "example.com", "nameserver": "10.0.0.53"}, "config.nameserver", "private"),
    ],
)
async def test_private_destinations_are_refused_when_saved(
    gql, settings, kind, config, field, reason
) -> None:
    account = await create_account(settings)
    variables = {"input": http_input(account.workspace_gid, kind=kind, config=config)}
    payload = (await gql(CREATE, variables, token=account.token))["data"]["createTarget"]
    assert payload["target"] is None
    (error,) = payload["errors"]
    assert (error["code"], error["field"]) == ("UNSAFE_TARGET", field)
    assert reason in error["message"]
    assert "HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS" in error["message"]


async def test_public_destinations_and_names_are_saved(gql, settings) -> None:
    account = await create_account(settings)
    for config in ({"url": "http://93.184.216.34/"}, {"url": "https://status.example.com/"}):
        variables = {"input": http_input(account.workspace_gid, config=config)}
        payload = (await gql(CREATE, variables, token=account.token))["data"]["createTarget"]
        assert payload["errors"] == [] and payload["target"]["id"]


async def test_a_target_cannot_be_moved_to_a_private_address(gql, settings) -> None:
    from tests.targets.helpers import UPDATE

    account = await create_account(settings)
    variables = {"input": http_input(account.workspace_gid)}
    target = (await gql(CREATE, variables, token=account.token))["data"]["createTarget"]["target"]
    patch = {"id": target["id"], "input": {"config": {"url": "http://127.0.0.1/"}}}
    payload = (await gql(UPDATE, patch, token=account.token))["data"]["updateTarget"]
    assert payload["errors"][0]["code"] == "UNSAFE_TARGET"
    assert payload["target"] is None


async def test_metadata_address_is_refused_even_when_private_networks_are_allowed(
    resources, settings
) -> None:
    resources.settings = settings.model_copy(update={"probe_allow_private_networks": True})
    account = await create_account(resources.settings)
    async with app_client(resources) as client:
        for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/"):
            variables = {"input": http_input(account.workspace_gid, config={"url": url})}
            body = await post(client, CREATE, variables, token=account.token)
            payload = body["data"]["createTarget"]
            if "169.254.169.254" in url:
                assert payload["errors"][0]["code"] == "UNSAFE_TARGET"
                assert "metadata" in payload["errors"][0]["message"]
            else:
                assert payload["errors"] == []


async def test_private_webhook_is_refused_naming_the_setting(gql, settings) -> None:
    account = await create_account(settings)
    config = {"url": "https://192.168.0.10/hook", "secret": "s" * 32}
    variables = {
        "input": {
            "workspaceId": account.workspace_gid,
            "name": "x",
            "kind": "WEBHOOK",
            "config": config,
        }
    }
    payload = (await gql(CHANNEL, variables, token=account.token))["data"]["createAlertChannel"]
    (error,) = payload["errors"]
    assert error["code"] == "UNSAFE_TARGET"
    assert "HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS" in error["message"]
    assert "192.168.0.10/hook" not in error["message"]
