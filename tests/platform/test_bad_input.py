"""Bad input is the client's mistake: a 4xx or a coded GraphQL error, never INTERNAL or 5xx.

Each test sends what an attacker (or a buggy client) sent against main, where the answer
was a masked INTERNAL error or a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from api.core.ids import encode
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.oauth.helpers import register_client
from tests.targets.helpers import CREATE, http_input

NODE = "query($id: ID!) { node(id: $id) { id } }"
STATS = (
    "query($id: ID!, $since: DateTime!) {"
    " target(id: $id) { stats(since: $since) { uptimePercent } } }"
)
RESULTS = (
    "query($id: ID!, $since: DateTime!) {"
    " target(id: $id) { results(since: $since) { edges { node { id } } } } }"
)
FIRST = 'query($n: Int) { target(id: "x") { results(first: $n) { edges { node { id } } } } }'
WINDOW = (
    "mutation($input: MaintenanceWindowInput!) { createMaintenanceWindow(input: $input) {"
    " maintenanceWindow { id } errors { field code message } } }"
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def post(client: Any, body: dict[str, Any] | str, token: str | None = None) -> Any:
    headers = {"content-type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    content = body if isinstance(body, str) else json.dumps(body)
    return await client.post("/graphql", content=content, headers=headers)


def only_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]  # type: ignore[no-any-return]


# --- Global ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    ["garbage!!", "VGFyZ2V0OjE", b64("Nope:1"), b64("no colon"), b64("__Schema:1"), "\u00e9"],
)
async def test_malformed_or_unknown_type_global_id_in_node_is_bad_user_input(
    client, settings, bad_id
) -> None:
    account = await create_account(settings)
    response = await post(client, {"query": NODE, "variables": {"id": bad_id}}, account.token)
    error = only_error(response)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == "Not a valid id."
    assert response.json()["data"] == {"node": None}


@pytest.mark.parametrize(
    "bad_id", [b64("Target:abc"), b64("CheckResult:1"), b64("Target:99999999999999999999999")]
)
async def test_well_formed_id_of_nothing_reachable_is_null(client, settings, bad_id) -> None:
    account = await create_account(settings)
    response = await post(client, {"query": NODE, "variables": {"id": bad_id}}, account.token)
    assert response.json()["data"] == {"node": None}


# --- Variables ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "words"),
    [
        (
            'mutation($r: Role!) { changeRole(workspaceId: "x", userId: "y", role: $r)'
            " { errors { code } } }",
            {"r": "KING"},
            "'KING' does not exist in 'Role'",
        ),
        (STATS, {"id": "x", "since": "not a date"}, "DateTime"),
        (STATS, {"id": "x", "since": 12}, "DateTime"),
        (STATS, {"id": "x"}, "to be provided"),
        (FIRST, {"n": 2**40}, "Int"),
        (FIRST, {"n": 1.5}, "Int"),
        (FIRST, {"n": "ten"}, "Int"),
    ],
)
async def test_bad_variables_are_bad_user_input(client, settings, query, variables, words) -> None:
    account = await create_account(settings)
    error = only_error(await post(client, {"query": query, "variables": variables}, account.token))
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert words in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        '{"query": "{ __typename }", "variables": {"f": NaN}}',
        '{"query": "{ __typename }", "variables": {"f": Infinity}}',
        '{"query": "{ __typename }", "variables": {"f": -Infinity}}',
        '{"query": "{ __typename }", "variables": {"f": 1e999}}',
    ],
)
async def test_nan_and_infinity_are_not_json(client, body) -> None:
    response = await post(client, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_infinite_assertion_value_is_refused_at_input(client, settings) -> None:
    account = await create_account(settings)
    config = {"url": "https://e.test/", "jsonPath": "$.status", "jsonValue": 1.5}
    variables = json.dumps({"input": http_input(account.workspace_gid, config=config)})
    body = '{"query": ' + json.dumps(CREATE) + ', "variables": ' + variables + "}"
    # As JSON (Infinity, 1e999): the body is not JSON.
    for spelled in ("Infinity", "1e999", "NaN"):
        response = await post(client, body.replace("1.5", spelled), account.token)
        assert response.status_code == 400, spelled
    # As a GraphQL literal (1e999 reads as inf): a validation error naming it.
    literal = (
        "mutation { createTarget(input: {workspaceId: "
        + json.dumps(account.workspace_gid)
        + ', name: "x", kind: HTTP, config: {url: "https://e.test/", jsonPath: "$.a",'
        " jsonValue: 1e999}}) { target { id } } }"
    )
    error = only_error(await post(client, {"query": literal}, account.token))
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "1e999" in error["message"]
    # Nothing was stored, so nothing is served back as invalid JSON.
    listed = await post(
        client,
        {"query": "{ viewer { workspaces { targets { edges { node { config } } } } } }"},
        account.token,
    )
    json.loads(listed.text, parse_constant=lambda name: pytest.fail(f"{name} served"))
    assert "Infinity" not in listed.text


async def test_nul_characters_are_refused_before_the_database(client, settings) -> None:
    # PostgreSQL cannot store NUL in text: refused at the edge, on every database.
    account = await create_account(settings)
    variables = {"input": http_input(account.workspace_gid, name="a\u0000b")}
    response = await post(client, {"query": CREATE, "variables": variables}, account.token)
    assert response.status_code == 400
    assert "variables.input.name holds a NUL" in response.json()["errors"][0]["message"]
    literal = 'mutation { logIn(email: "a\\u0000@e.test", password: "x") { errors { code } } }'
    error = only_error(await post(client, {"query": literal}))
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "NUL" in error["message"]
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "a\x00", "client_secret": "b"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# --- Documents -----------------------------------------------------------------------


async def test_parse_errors_are_coded(client) -> None:
    error = only_error(await post(client, {"query": "{ viewer { "}))
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


async def test_validation_errors_are_coded(client) -> None:
    for query in ("{ nope }", "query($f: Float!) { __typename }", "{ target(id: 1.5) { id } }"):
        errors = (await post(client, {"query": query})).json()["errors"]
        assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}


async def test_suggestions_are_given_in_development(client) -> None:
    error = only_error(await post(client, {"query": "{ nod { id } }"}))
    assert "Did you mean 'node'?" in error["message"]


# --- Dates at the ends of the calendar -------------------------------------------------


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"]
)
async def test_dates_at_the_ends_of_the_calendar_are_a_clear_error(client, settings, at) -> None:
    account = await create_account(settings)
    target = await create_target(account.workspace)
    variables = {"id": encode("Target", target.id), "since": at}
    for query in (STATS, RESULTS):
        error = only_error(
            await post(client, {"query": query, "variables": variables}, account.token)
        )
        assert error["extensions"] == {"code": "INVALID", "argument": "since"}
        assert error["message"] == "since must be between 1900 and 9000 (UTC)."
    window = {"workspaceId": account.workspace_gid, "startsAt": at, "endsAt": at}
    for extra in ({}, {"weekly": True, "weekdays": [1], "until": at}):
        response = await post(
            client, {"query": WINDOW, "variables": {"input": window | extra}}, account.token
        )
        payload = response.json()["data"]["createMaintenanceWindow"]
        assert payload["maintenanceWindow"] is None
        assert payload["errors"][0]["code"] == "INVALID"
        assert payload["errors"][0]["field"] == "startsAt"


async def test_a_window_just_inside_the_range_still_works(client, settings) -> None:
    account = await create_account(settings)
    window = {
        "workspaceId": account.workspace_gid,
        "startsAt": "8999-12-30T00:00:00+14:00",
        "endsAt": "8999-12-30T01:00:00+14:00",
        "weekly": True,
    }
    response = await post(client, {"query": WINDOW, "variables": {"input": window}}, account.token)
    payload = response.json()["data"]["createMaintenanceWindow"]
    assert payload["errors"] == [] and payload["maintenanceWindow"]["id"]


# --- Transport -----------------------------------------------------------------------


async def test_subscription_over_http_post_is_a_400_naming_the_websocket(client, settings) -> None:
    account = await create_account(settings)
    query = "subscription($w: ID!) { incidents(workspaceId: $w) { id } }"
    response = await post(
        client, {"query": query, "variables": {"w": account.workspace_gid}}, account.token
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "websocket" in error["message"]


async def test_json_nested_5000_deep_is_a_400(client) -> None:
    deep = "[" * 5000 + "]" * 5000
    objects = '{"a":' * 5000 + "1" + "}" * 5000
    for value in (deep, objects):
        response = await post(
            client, '{"query": "{ __typename }", "variables": {"a": ' + value + "}}"
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    response = await client.get("/graphql", params={"query": "{ __typename }", "variables": deep})
    assert response.status_code == 400


async def test_moderate_nesting_is_still_served(client) -> None:
    nested = "[" * 40 + "]" * 40
    body = '{"query": "{ __typename }", "variables": {"a": ' + nested + "}}"
    response = await post(client, body)
    assert response.status_code == 200, response.text


# --- OAuth token endpoint --------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:secret").decode(),
        "Basic " + base64.b64encode(b"id:secret").decode()[:-2],
        "basic ",
    ],
)
async def test_malformed_basic_header_on_token_endpoint_is_invalid_client(client, header) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_well_formed_basic_header_still_authenticates(client, gql, settings) -> None:
    owner = await create_account(settings)
    registered = await register_client(gql, owner, confidential=True, scopes=["targets:read"])
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered["client"]["clientId"], registered["clientSecret"]),
    )
    assert response.status_code == 200
    for path in ("/oauth/revoke", "/oauth/introspect"):
        response = await client.post(
            path, data={"token": "x"}, headers={"Authorization": "Basic //46eA=="}
        )
        assert response.status_code == 401, path
