"""RFC 8414 metadata: what a client library discovers."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata


@pytest.fixture
def settings_overrides() -> dict[str, str]:
    return {"public_url": "https://api.hitflow.test"}


async def test_metadata_is_valid_rfc8414(client) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    metadata = AuthorizationServerMetadata(response.json())
    metadata.validate()  # authlib's own RFC 8414 checks
    assert metadata["issuer"] == "https://api.hitflow.test"
    assert metadata["token_endpoint"] == "https://api.hitflow.test/oauth/token"
    assert metadata["authorization_endpoint"] == "https://api.hitflow.test/oauth/authorize"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "results:read" in metadata["scopes_supported"]
