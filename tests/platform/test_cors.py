"""CORS: the configured SPA origin is allowed with credentials, any other origin is not."""

from __future__ import annotations

from typing import Any

import pytest

SPA = "https://app.example.com"


EVIL = "https://evil.example"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"cors_origins": [SPA]}


def preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
    }


async def test_preflight_from_the_spa_is_allowed_with_credentials(client) -> None:
    response = await client.options("/graphql", headers=preflight(SPA))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_preflight_from_another_origin_is_refused(client) -> None:
    response = await client.options("/graphql", headers=preflight(EVIL))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_simple_requests_echo_only_the_spa_origin(client) -> None:
    body = {"query": "{ __typename }"}
    allowed = await client.post("/graphql", json=body, headers={"origin": SPA})
    assert allowed.headers["access-control-allow-origin"] == SPA
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    other = await client.post("/graphql", json=body, headers={"origin": EVIL})
    assert "access-control-allow-origin" not in other.headers


async def test_headers_apollo_client_sends_are_allowed(client) -> None:
    headers = preflight(SPA) | {
        "access-control-request-headers": (
            "content-type, apollographql-client-name, apollographql-client-version,"
            " apollo-require-preflight"
        )
    }
    response = await client.options("/graphql", headers=headers)
    assert response.status_code == 200
    allowed = response.headers["access-control-allow-headers"].lower()
    for name in ("apollographql-client-name", "apollographql-client-version"):
        assert name in allowed
