"""What /graphql answers to bodies that are not a well-formed GraphQL request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from unittest.mock import ANY

import pytest


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"max_body_bytes": 2048}


def assert_clear_error(response, status: int, code: str, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    assert words.lower() in error["message"].lower()
    assert "Traceback" not in response.text


async def test_malformed_json_is_a_400_with_a_clear_message(client) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ viewer { user { email } } }"', headers=_json()
    )
    assert_clear_error(response, 400, "BAD_REQUEST", "Unable to parse request body as JSON")


async def test_empty_and_non_utf8_bodies_are_400(client) -> None:
    for body in (b"", b"\xff\xfe\x00"):
        response = await client.post("/graphql", content=body, headers=_json())
        assert_clear_error(response, 400, "BAD_REQUEST", "JSON")


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"foo": 1}, "No GraphQL query found"),
        ([], "Batching is not enabled"),
        ("just a string", "Expected a JSON object"),
        (42, "Expected a JSON object"),
        ({"query": 5}, "must be a string"),
        ({"query": "{ __typename }", "variables": "x"}, "variables"),
    ],
)
async def test_json_that_is_not_a_graphql_request_is_400(client, payload, words) -> None:
    response = await client.post("/graphql", json=payload)
    assert_clear_error(response, 400, "BAD_REQUEST", words)


async def test_form_post_is_refused_with_415(client) -> None:
    # A cross-site HTML form can only send these types: no state change through them.
    response = await client.post("/graphql", data={"query": "{ __typename }"})
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415


async def test_mutation_over_get_is_refused(client) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers=_json_accept()
    )
    assert_clear_error(response, 400, "BAD_REQUEST", "mutations are not allowed when using GET")


async def test_query_over_get_works(client) -> None:
    response = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers=_json_accept()
    )
    assert response.status_code == 200
    assert response.json() == {"extensions": ANY, "data": {"__typename": "Query"}}


async def test_body_over_the_cap_is_413_when_announced(client) -> None:
    padding = "x" * 4096
    response = await client.post("/graphql", json={"query": "{ __typename }", "extra": padding})
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"


async def test_body_over_the_cap_is_413_when_streamed(client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "extra": "'
        for _ in range(10):
            yield b"x" * 512
        yield b'"}'

    response = await client.post("/graphql", content=chunks(), headers=_json())
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_streamed_body_under_the_cap_is_served(client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": '
        yield b'"{ __typename }"}'

    response = await client.post("/graphql", content=chunks(), headers=_json())
    assert response.status_code == 200
    assert response.json() == {"extensions": ANY, "data": {"__typename": "Query"}}


def _json() -> dict[str, str]:
    return {"content-type": "application/json"}


def _json_accept() -> dict[str, str]:
    return {"accept": "application/json"}


async def test_malformed_variables_over_get_are_400(client) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "query ($n: Int) { __typename }", "variables": "{nope"},
        headers=_json_accept(),
    )
    assert_clear_error(response, 400, "BAD_REQUEST", "JSON")
