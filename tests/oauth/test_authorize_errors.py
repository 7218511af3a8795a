"""GET /oauth/authorize: what is refused, and where the refusal goes (RFC 6749 4.1.2.1)."""

from __future__ import annotations

from urllib.parse import urlencode

from api.oauth.models import OAuthAuthorizationRequest
from tests.factories.accounts import create_account
from tests.oauth.helpers import DENY, REDIRECT, oauth_client, query_params, register_client

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # S256 of the RFC 7636 example


def url(client_id: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "account:read",
        "state": "xyz",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v != ""})


async def test_unregistered_redirect_uri_is_an_error_page_not_a_redirect(
    client, gql, settings
) -> None:
    account = await create_account(settings)
    cid = (await register_client(gql, account))["client"]["clientId"]
    response = await client.get(url(cid, redirect_uri="https://evil.example/cb"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json()["error"] == "invalid_request"
    # Exact match only: a path suffix is not the registered URI either.
    response = await client.get(url(cid, redirect_uri=REDIRECT + "/x"))
    assert response.status_code == 400
    assert await OAuthAuthorizationRequest.all().count() == 0


async def test_unknown_client_is_an_error_page(client) -> None:
    response = await client.get(url("hfc_nope"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert "location" not in response.headers


async def test_public_client_without_pkce_is_sent_back_with_invalid_request(
    client, gql, settings
) -> None:
    account = await create_account(settings)
    cid = (await register_client(gql, account))["client"]["clientId"]
    response = await client.get(url(cid, code_challenge="", code_challenge_method=""))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    params = query_params(location)
    assert params["error"] == "invalid_request"
    assert params["state"] == "xyz"


async def test_plain_pkce_is_refused(client, gql, settings) -> None:
    account = await create_account(settings)
    cid = (await register_client(gql, account))["client"]["clientId"]
    response = await client.get(url(cid, code_challenge="a" * 43, code_challenge_method="plain"))
    assert query_params(response.headers["location"])["error"] == "invalid_request"


async def test_scope_beyond_the_client_is_invalid_scope(client, gql, settings) -> None:
    account = await create_account(settings)
    cid = (await register_client(gql, account, scopes=["results:read"]))["client"]["clientId"]
    response = await client.get(url(cid, scope="results:read targets:write"))
    assert response.status_code == 302
    assert query_params(response.headers["location"])["error"] == "invalid_scope"
    response = await client.get(url(cid, scope="no:such"))
    assert query_params(response.headers["location"])["error"] == "invalid_scope"


async def test_unsupported_response_type(client, gql, settings) -> None:
    account = await create_account(settings)
    cid = (await register_client(gql, account))["client"]["clientId"]
    response = await client.get(url(cid, response_type="token"))
    assert response.status_code == 302
    params = query_params(response.headers["location"])
    assert params["error"] == "unsupported_response_type"
    assert params["state"] == "xyz"


async def test_confidential_client_may_skip_pkce(client, gql, settings) -> None:
    account = await create_account(settings)
    cid = (await register_client(gql, account, confidential=True))["client"]["clientId"]
    response = await client.get(url(cid, code_challenge="", code_challenge_method=""))
    assert response.headers["location"].startswith("http://app.test/oauth/consent?request=")


async def test_deny_sends_access_denied_with_state(app, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        response = await oauth.request(
            "GET", url(registered["client"]["clientId"]), withhold_token=True
        )
        request_id = query_params(response.headers["location"])["request"]
    result = await gql(DENY, {"id": request_id}, token=account.token)
    redirect = result["data"]["denyOAuthAuthorization"]["redirectUrl"]
    assert query_params(redirect) == {"error": "access_denied", "state": "xyz"}
    # Decided: it cannot be approved afterwards.
    again = await gql(DENY, {"id": request_id}, token=account.token)
    assert again["data"]["denyOAuthAuthorization"]["errors"][0]["code"] == "NOT_FOUND"
