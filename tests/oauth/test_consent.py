"""The SPA's consent screen: what it shows and how a decision is made once."""

from __future__ import annotations

from datetime import timedelta

from api.core import clock
from tests.factories.accounts import create_account, create_pat
from tests.oauth.helpers import APPROVE, BASE, consent_request_id, oauth_client, register_client

SHOW = """
query($id: ID!) {
  oauthAuthorizationRequest(id: $id) { id clientName clientId scopes redirectUri expiresAt }
}
"""


async def pending(app, gql, account, **kwargs) -> tuple[dict, str]:
    registered = await register_client(gql, account, **kwargs)
    async with oauth_client(app, registered) as oauth:
        url, _ = oauth.create_authorization_url(
            f"{BASE}/oauth/authorize", code_verifier="v" * 48, scope="results:read"
        )
        return registered, await consent_request_id(oauth, url)


async def test_consent_screen_shows_the_client_and_scopes(app, gql, settings) -> None:
    account = await create_account(settings)
    registered, request_id = await pending(app, gql, account, name="Acme Dashboard")
    shown = (await gql(SHOW, {"id": request_id}, token=account.token))["data"]
    request = shown["oauthAuthorizationRequest"]
    assert request["clientName"] == "Acme Dashboard"
    assert request["clientId"] == registered["client"]["clientId"]
    assert request["scopes"] == ["results:read"]
    assert request["redirectUri"] == "https://client.example/callback"


async def test_a_request_is_decided_once(app, gql, settings) -> None:
    account = await create_account(settings)
    _, request_id = await pending(app, gql, account)
    first = await gql(APPROVE, {"id": request_id}, token=account.token)
    assert first["data"]["approveOAuthAuthorization"]["redirectUrl"]
    second = await gql(APPROVE, {"id": request_id}, token=account.token)
    assert second["data"]["approveOAuthAuthorization"] == {
        "redirectUrl": None,
        "errors": [{"code": "NOT_FOUND", "message": "No such authorization request."}],
    }
    assert (await gql(SHOW, {"id": request_id}, token=account.token))["data"] == {
        "oauthAuthorizationRequest": None
    }


async def test_expired_request_cannot_be_approved(app, gql, settings) -> None:
    account = await create_account(settings)
    _, request_id = await pending(app, gql, account)
    clock.advance(timedelta(minutes=11))
    result = await gql(APPROVE, {"id": request_id}, token=account.token)
    assert result["data"]["approveOAuthAuthorization"]["errors"][0]["code"] == "EXPIRED"


async def test_unknown_anonymous_and_token_callers(app, gql, settings) -> None:
    account = await create_account(settings)
    _, request_id = await pending(app, gql, account)
    unknown = await gql(APPROVE, {"id": "nope"}, token=account.token)
    assert unknown["data"]["approveOAuthAuthorization"]["errors"][0]["code"] == "NOT_FOUND"
    anonymous = await gql(SHOW, {"id": request_id})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    pat = await create_pat(account.user, ["account:read", "account:write"])
    with_pat = await gql(APPROVE, {"id": request_id}, token=pat)
    assert with_pat["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Still pending for the user's own session.
    shown = await gql(SHOW, {"id": request_id}, token=account.token)
    assert shown["data"]["oauthAuthorizationRequest"]["id"] == request_id
