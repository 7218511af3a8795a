"""Users see the applications they granted and revoke them."""

from __future__ import annotations

import asyncio
import json

from api.core.tokens import hash_token
from api.events import events_channel
from api.oauth.models import OAuthToken
from api.oauth.service import revoke_all_for_user
from tests.factories.accounts import create_account
from tests.oauth.helpers import grant, oauth_client, register_client

APPS = "{ authorizedApps { id name scopes authorizedAt lastUsedAt } }"
REVOKE = "mutation($id: ID!) { revokeAuthorizedApp(id: $id) { deletedId errors { code } } }"
VIEWER = {"query": "{ viewer { user { email } } }"}


async def granted(app, gql, account, **kwargs) -> str:
    registered = await register_client(gql, account, **kwargs)
    async with oauth_client(app, registered) as oauth:
        return (await grant(oauth, gql, account))["access_token"]  # type: ignore[no-any-return]


async def test_list_and_revoke_an_authorized_app(app, client, gql, settings) -> None:
    user = await create_account(settings)
    stranger = await create_account(settings)
    token = await granted(app, gql, user, name="Grafana", scopes=["account:read", "results:read"])
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/graphql", json=VIEWER, headers=headers)).status_code == 200

    apps = (await gql(APPS, token=user.token))["data"]["authorizedApps"]
    assert len(apps) == 1
    assert apps[0]["name"] == "Grafana"
    assert apps[0]["scopes"] == ["account:read", "results:read"]
    assert apps[0]["lastUsedAt"] is not None
    app_id = apps[0]["id"]

    # Someone else sees nothing and cannot revoke it; anonymous is refused.
    assert (await gql(APPS, token=stranger.token))["data"]["authorizedApps"] == []
    other = await gql(REVOKE, {"id": app_id}, token=stranger.token)
    assert other["data"]["revokeAuthorizedApp"]["errors"] == [{"code": "NOT_FOUND"}]
    anonymous = await gql(REVOKE, {"id": app_id})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The app's own token cannot revoke (a session is required).
    itself = await gql(REVOKE, {"id": app_id}, token=token)
    assert itself["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    mine = await gql(REVOKE, {"id": app_id}, token=user.token)
    assert mine["data"]["revokeAuthorizedApp"] == {"deletedId": app_id, "errors": []}
    assert (await client.post("/graphql", json=VIEWER, headers=headers)).status_code == 401
    assert (await gql(APPS, token=user.token))["data"]["authorizedApps"] == []


async def test_revoke_all_for_user_ends_every_grant_and_publishes(
    app, gql, settings, resources
) -> None:
    user = await create_account(settings)
    first = await granted(app, gql, user, name="One")
    second = await granted(app, gql, user, name="Two")
    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(events_channel(resources.redis))
    try:
        revoked = await revoke_all_for_user(resources.redis, user.user.id)
        message = None
        for _ in range(40):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
            if message:
                break
            await asyncio.sleep(0)
    finally:
        await pubsub.aclose()
    ids = sorted(
        [(await OAuthToken.get(access_token_hash=hash_token(t))).id for t in (first, second)]
    )
    assert sorted(revoked) == ids
    assert message is not None
    event = json.loads(message["data"])
    assert event["type"] == "revocation" and event["kind"] == "oauth"
    assert event["userId"] == user.user.id and sorted(event["credentialIds"]) == ids
    assert await OAuthToken.filter(revoked_at=None).count() == 0
