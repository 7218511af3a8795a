"""Browser-facing edges of the app: CORS, security headers, GraphiQL, health and readiness."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.redis import EmbeddedRedis
from api.resources import open_resources

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


async def test_security_headers_on_every_response(client) -> None:
    for response in (
        await client.get("/healthz"),
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.post("/graphql", content=b"{", headers={"content-type": "application/json"}),
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert len(headers["x-request-id"]) == 32
        assert "strict-transport-security" not in headers  # plain http here


async def test_hsts_when_served_over_https(resources) -> None:
    settings = resources.settings.model_copy(update={"public_url": "https://api.example.com"})
    async with _client(dataclasses.replace(resources, settings=settings)) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_graphiql_in_development_only(client, resources) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()

    settings = resources.settings.model_copy(update={"env": "production"})
    async with _client(dataclasses.replace(resources, settings=settings)) as prod:
        page = await prod.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert "graphiql" not in page.text.lower()
        # Queries over GET still work in production.
        query = await prod.get("/graphql", params={"query": "{ __typename }"})
        assert query.json() == {"data": {"__typename": "Query"}}


async def test_healthz_and_readyz_when_all_is_up(client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_down(settings, db, tmp_path) -> None:
    embedded = EmbeddedRedis(tmp_path / "own-redis")
    resources = await open_resources(settings, embedded.start())
    try:
        async with _client(resources) as client:
            assert (await client.get("/readyz")).status_code == 200
            embedded.stop()
            response = await client.get("/readyz")
            # The process is alive, it just cannot serve: healthz stays green.
            assert (await client.get("/healthz")).status_code == 200
    finally:
        embedded.stop()
        await resources.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["redis"].startswith("error")


def _client(resources: Any) -> httpx.AsyncClient:
    app = create_app(resources, start_services=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
