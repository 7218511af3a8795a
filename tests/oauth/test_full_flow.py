"""The whole third-party journey, driven by authlib's own OAuth 2 client."""

from __future__ import annotations

from unittest.mock import ANY

from api.core.tokens import OAUTH_ACCESS_PREFIX, OAUTH_REFRESH_PREFIX, hash_token
from api.oauth.models import OAuthToken
from tests.factories.accounts import create_account
from tests.oauth.helpers import (
    BASE,
    REDIRECT,
    authorize,
    oauth_client,
    query_params,
    register_client,
)

VIEWER = {"query": "{ viewer { user { email } } }"}


async def test_authorize_consent_token_query_refresh_revoke(app, gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    registered = await register_client(gql, account)  # a public client: PKCE, no secret
    async with oauth_client(app, registered) as oauth:
        # authorize -> consent (the SPA approves as the logged-in user) -> code
        redirect, verifier = await authorize(oauth, gql, account)
        assert redirect.startswith(REDIRECT + "?")
        assert set(query_params(redirect)) == {"code", "state"}

        # code -> tokens (PKCE)
        token = await oauth.fetch_token(
            f"{BASE}/oauth/token", authorization_response=redirect, code_verifier=verifier
        )
        assert token["token_type"] == "Bearer"
        assert token["access_token"].startswith(OAUTH_ACCESS_PREFIX)
        assert token["refresh_token"].startswith(OAUTH_REFRESH_PREFIX)
        assert token["expires_in"] == 3600
        assert token["scope"] == "account:read targets:read results:read"
        # Only hashes are stored.
        row = await OAuthToken.get(access_token_hash=hash_token(token["access_token"]))
        assert row.user_id == account.user.id

        # GraphQL with the token
        response = await oauth.post("/graphql", json=VIEWER)
        assert response.json() == {
            "extensions": ANY,
            "data": {"viewer": {"user": {"email": "ada@example.test"}}},
        }

        # refresh: a new pair, and the API accepts the new access token
        old = dict(token)
        new = await oauth.refresh_token(f"{BASE}/oauth/token")
        assert new["access_token"] != old["access_token"]
        assert new["refresh_token"] != old["refresh_token"]
        response = await oauth.post("/graphql", json=VIEWER)
        assert response.json()["data"]["viewer"]["user"]["email"] == "ada@example.test"

        # revoke -> the token is refused
        revoked = await oauth.revoke_token(f"{BASE}/oauth/revoke", token=new["access_token"])
        assert revoked.status_code == 200
        response = await oauth.post("/graphql", json=VIEWER)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
