"""RFC 7009 revocation and RFC 7662 introspection."""

from __future__ import annotations

import asyncio
import json

from api.events import events_channel
from api.oauth.models import OAuthToken
from tests.factories.accounts import create_account
from tests.oauth.helpers import BASE, grant, oauth_client, register_client

VIEWER = {"query": "{ viewer { user { email } } }"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def next_event(pubsub, timeout: float = 2.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            return json.loads(message["data"])
    raise AssertionError("no event published")


async def test_revoking_the_refresh_token_ends_the_grant_and_live_subscriptions(
    app, client, gql, settings, resources
) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        token = await grant(oauth, gql, account)
        pubsub = resources.redis.pubsub()
        await pubsub.subscribe(events_channel(resources.redis))
        try:
            response = await oauth.revoke_token(
                f"{BASE}/oauth/revoke",
                token=token["refresh_token"],
                token_type_hint="refresh_token",
            )
            assert response.status_code == 200
            event = await next_event(pubsub)
        finally:
            await pubsub.aclose()
    row = await OAuthToken.get(user_id=account.user.id)
    assert event == {
        "type": "revocation",
        "userId": account.user.id,
        "kind": "oauth",
        "credentialIds": [row.id],
    }
    # The access token of the grant is dead too.
    api = await client.post("/graphql", json=VIEWER, headers=bearer(token["access_token"]))
    assert api.status_code == 401


async def test_revoke_answers_200_for_unknown_tokens_and_guards_other_clients(
    app, client, gql, settings
) -> None:
    account = await create_account(settings)
    mine = await register_client(gql, account)
    other = await register_client(gql, account, name="Other")
    async with oauth_client(app, mine) as oauth:
        token = await grant(oauth, gql, account)
    cid = mine["client"]["clientId"]
    response = await client.post("/oauth/revoke", data={"token": "hf_at_unknown", "client_id": cid})
    assert response.status_code == 200
    # Another client cannot revoke my token.
    response = await client.post(
        "/oauth/revoke",
        data={"token": token["access_token"], "client_id": other["client"]["clientId"]},
    )
    assert response.status_code == 400
    api = await client.post("/graphql", json=VIEWER, headers=bearer(token["access_token"]))
    assert api.status_code == 200
    # Missing token parameter.
    response = await client.post("/oauth/revoke", data={"client_id": cid})
    assert response.json()["error"] == "invalid_request"


async def test_introspection_for_confidential_clients(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account, confidential=True)
    other = await register_client(gql, account, confidential=True, name="Other")
    public = await register_client(gql, account, name="Public")
    async with oauth_client(app, registered) as oauth:
        token = await grant(oauth, gql, account)
    cid, secret = registered["client"]["clientId"], registered["clientSecret"]

    response = await client.post(
        "/oauth/introspect", data={"token": token["access_token"]}, auth=(cid, secret)
    )
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == cid
    assert body["scope"] == "account:read targets:read results:read"
    assert body["token_type"] == "Bearer"
    assert body["iss"] == settings.public_url
    assert body["exp"] - body["iat"] == 3600
    assert "sub" in body and str(account.user.id) not in body.get("username", "")

    refresh = await client.post(
        "/oauth/introspect",
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(cid, secret),
    )
    assert refresh.json()["active"] is True
    # Another client learns nothing about my token.
    response = await client.post(
        "/oauth/introspect",
        data={"token": token["access_token"]},
        auth=(other["client"]["clientId"], other["clientSecret"]),
    )
    assert response.json() == {"active": False}
    # A public client may not introspect at all; a wrong secret neither.
    response = await client.post(
        "/oauth/introspect",
        data={"token": token["access_token"], "client_id": public["client"]["clientId"]},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    response = await client.post(
        "/oauth/introspect", data={"token": token["access_token"]}, auth=(cid, "hf_cs_bad")
    )
    assert response.status_code == 401
    # After revocation: inactive.
    await client.post("/oauth/revoke", data={"token": token["access_token"]}, auth=(cid, secret))
    response = await client.post(
        "/oauth/introspect", data={"token": token["access_token"]}, auth=(cid, secret)
    )
    assert response.json() == {"active": False}
