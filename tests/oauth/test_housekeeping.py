"""Expired consents, codes and tokens are purged; /oauth/authorize is throttled per address."""

from __future__ import annotations

from datetime import timedelta

from api.core import clock
from api.oauth.models import OAuthAuthorizationCode, OAuthAuthorizationRequest, OAuthToken
from tests.factories.accounts import create_account
from tests.oauth.helpers import grant, oauth_client, register_client
from workers.jobs.oauth import purge_expired_oauth


async def test_purge_deletes_only_what_can_no_longer_be_used(app, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        await grant(oauth, gql, account)
    assert await purge_expired_oauth({}) == 0  # nothing expired yet
    clock.advance(timedelta(days=2))
    # The code and consent are gone; the token stays while its refresh token lives.
    assert await purge_expired_oauth({}) == 2
    assert await OAuthAuthorizationRequest.all().count() == 0
    assert await OAuthAuthorizationCode.all().count() == 0
    assert await OAuthToken.all().count() == 1
    clock.advance(timedelta(days=30))
    assert await purge_expired_oauth({}) == 1
    assert await OAuthToken.all().count() == 0


async def test_authorize_is_throttled_per_address(client) -> None:
    for _ in range(60):
        response = await client.get("/oauth/authorize?client_id=hfc_x&response_type=code")
        assert response.status_code == 400
    response = await client.get("/oauth/authorize?client_id=hfc_x&response_type=code")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
