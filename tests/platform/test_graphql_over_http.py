"""GraphQL over HTTP: application/graphql-response+json when the client accepts it, with a
4xx for request errors; application/json answers stay as they were."""

from __future__ import annotations

ACCEPT = {"accept": "application/graphql-response+json, application/json;q=0.9"}


async def test_the_graphql_response_media_type_is_honoured(client) -> None:
    ok = await client.post("/graphql", json={"query": "{ __typename }"}, headers=ACCEPT)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert ok.json()["data"] == {"__typename": "Query"}


async def test_request_errors_are_4xx_with_that_media_type(client) -> None:
    for body in (
        {"query": "{ __typename"},  # does not parse
        {"query": "{ noSuchField }"},  # does not validate
        {"query": "query($n: Int!) { __typename }", "variables": {"n": "x"}},  # bad variable
    ):
        response = await client.post("/graphql", json=body, headers=ACCEPT)
        assert response.status_code == 400, body
        assert response.headers["content-type"].startswith("application/graphql-response+json")
        assert response.json()["errors"]
        assert "data" not in response.json(), body  # a request error has no data entry


async def test_field_errors_stay_200(client) -> None:
    # An anonymous caller asking for a protected field: data is there, with a path error.
    response = await client.post(
        "/graphql", json={"query": '{ target(id: "VGFyZ2V0OjE=") { id } }'}, headers=ACCEPT
    )
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["errors"][0]["path"]


async def test_plain_json_clients_keep_200(client) -> None:
    response = await client.post("/graphql", json={"query": "{ noSuchField }"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
