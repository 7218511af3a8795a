"""Security headers on every response; HSTS when the API is served over HTTPS."""

from __future__ import annotations

import dataclasses

from tests.platform.helpers import app_client


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
    async with app_client(dataclasses.replace(resources, settings=settings)) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
