"""OAuth test helpers: register a client over GraphQL, drive authorize + consent."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

REDIRECT = "https://client.example/callback"
BASE = "https://testserver"  # the ASGI transport ignores the scheme; authlib wants https

CREATE = """
mutation($ws: ID!, $name: String!, $uris: [String!]!, $scopes: [String!]!, $conf: Boolean!) {
  createOAuthClient(workspaceId: $ws, name: $name, redirectUris: $uris, scopes: $scopes,
                    confidential: $conf) {
    client { id clientId name redirectUris scopes confidential }
    clientSecret
    errors { field code message }
  }
}
"""
APPROVE = """
mutation($id: ID!) { approveOAuthAuthorization(id: $id) { redirectUrl errors { code message } } }
"""
DENY = """
mutation($id: ID!) { denyOAuthAuthorization(id: $id) { redirectUrl errors { code message } } }
"""


async def register_client(
    gql: Any,
    account: Any,
    *,
    confidential: bool = False,
    scopes: list[str] | None = None,
    uris: list[str] | None = None,
    name: str = "Dashboard",
) -> dict[str, Any]:
    """The createOAuthClient payload (client + clientSecret)."""
    result = await gql(
        CREATE,
        {
            "ws": account.workspace_gid,
            "name": name,
            "uris": uris or [REDIRECT],
            "scopes": scopes or ["account:read", "targets:read", "results:read"],
            "conf": confidential,
        },
        token=account.token,
    )
    payload = result["data"]["createOAuthClient"]
    assert payload["errors"] == [], payload
    return payload  # type: ignore[no-any-return]


def oauth_client(app: Any, registered: dict[str, Any], **kwargs: Any) -> AsyncOAuth2Client:
    client = registered["client"]
    secret = registered.get("clientSecret")
    kwargs.setdefault("scope", " ".join(client["scopes"]))
    return AsyncOAuth2Client(
        client_id=client["clientId"],
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        revocation_endpoint_auth_method="client_secret_basic" if secret else "none",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        **kwargs,
    )


def query_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def consent_request_id(oauth: AsyncOAuth2Client, url: str) -> str:
    """GET /oauth/authorize as the browser would; the id of the pending consent."""
    response = await oauth.request("GET", url, withhold_token=True)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith("http://app.test/oauth/consent?"), location
    return query_params(location)["request"]


async def approve(gql: Any, account: Any, request_id: str) -> str:
    result = await gql(APPROVE, {"id": request_id}, token=account.token)
    payload = result["data"]["approveOAuthAuthorization"]
    assert payload["errors"] == [], payload
    return payload["redirectUrl"]  # type: ignore[no-any-return]


async def authorize(
    oauth: AsyncOAuth2Client, gql: Any, account: Any, **params: Any
) -> tuple[str, str]:
    """authorize -> consent -> approve; returns (redirect URL with the code, verifier)."""
    verifier = generate_token(48)
    url, _state = oauth.create_authorization_url(
        f"{BASE}/oauth/authorize", code_verifier=verifier, **params
    )
    request_id = await consent_request_id(oauth, url)
    return await approve(gql, account, request_id), verifier


async def grant(oauth: AsyncOAuth2Client, gql: Any, account: Any) -> dict[str, Any]:
    """The whole dance; returns the token response (oauth.token is set too)."""
    redirect, verifier = await authorize(oauth, gql, account)
    return await oauth.fetch_token(  # type: ignore[no-any-return]
        f"{BASE}/oauth/token", authorization_response=redirect, code_verifier=verifier
    )
