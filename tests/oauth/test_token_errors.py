"""POST /oauth/token: each RFC error, as a client sees it."""

from __future__ import annotations

from datetime import timedelta

from api.core import clock
from tests.factories.accounts import create_account
from tests.oauth.helpers import (
    BASE,
    REDIRECT,
    authorize,
    grant,
    oauth_client,
    query_params,
    register_client,
)

VIEWER = {"query": "{ viewer { user { email } } }"}


def code_exchange(registered: dict, redirect: str, verifier: str, **extra: str) -> dict:
    data = {
        "grant_type": "authorization_code",
        "code": query_params(redirect)["code"],
        "redirect_uri": REDIRECT,
        "client_id": registered["client"]["clientId"],
        "code_verifier": verifier,
    }
    data.update(extra)
    return data


async def test_wrong_pkce_verifier_is_invalid_grant(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        redirect, _verifier = await authorize(oauth, gql, account)
    wrong = "x" * 43
    response = await client.post("/oauth/token", data=code_exchange(registered, redirect, wrong))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "access_token" not in response.text


async def test_public_client_must_send_a_verifier(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        redirect, _ = await authorize(oauth, gql, account)
    data = code_exchange(registered, redirect, "")
    del data["code_verifier"]
    response = await client.post("/oauth/token", data=data)
    assert response.json()["error"] == "invalid_request"


async def test_wrong_redirect_uri_at_exchange_is_invalid_grant(app, client, gql, settings) -> None:
    account = await create_account(settings)
    other = "https://client.example/other"
    registered = await register_client(gql, account, uris=[REDIRECT, other])
    async with oauth_client(app, registered) as oauth:
        redirect, verifier = await authorize(oauth, gql, account)
    data = code_exchange(registered, redirect, verifier, redirect_uri=other)
    response = await client.post("/oauth/token", data=data)
    assert response.json()["error"] == "invalid_grant"


async def test_reused_code_is_invalid_grant_and_revokes_its_tokens(
    app, client, gql, settings
) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        redirect, verifier = await authorize(oauth, gql, account)
    data = code_exchange(registered, redirect, verifier)
    first = await client.post("/oauth/token", data=data)
    assert first.status_code == 200
    access = first.json()["access_token"]
    second = await client.post("/oauth/token", data=data)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    # RFC 6749 4.1.2: the tokens the code issued are revoked.
    response = await client.post(
        "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {access}"}
    )
    assert response.status_code == 401


async def test_expired_code_is_invalid_grant(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        redirect, verifier = await authorize(oauth, gql, account)
    clock.advance(timedelta(minutes=11))
    response = await client.post("/oauth/token", data=code_exchange(registered, redirect, verifier))
    assert response.json()["error"] == "invalid_grant"


async def test_code_of_another_client_is_invalid_grant(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    intruder = await register_client(gql, account, name="Intruder")
    async with oauth_client(app, registered) as oauth:
        redirect, verifier = await authorize(oauth, gql, account)
    data = code_exchange(registered, redirect, verifier, client_id=intruder["client"]["clientId"])
    response = await client.post("/oauth/token", data=data)
    assert response.json()["error"] == "invalid_grant"


async def test_reused_refresh_token_revokes_the_whole_grant(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        first = dict(await grant(oauth, gql, account))
        second = dict(await oauth.refresh_token(f"{BASE}/oauth/token"))
    cid = registered["client"]["clientId"]
    # The spent refresh token comes back (stolen?): refused...
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": cid,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    # ...and everything of the grant is dead: the current access and refresh tokens too.
    for token in (first["access_token"], second["access_token"]):
        api = await client.post(
            "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"}
        )
        assert api.status_code == 401
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": second["refresh_token"],
            "client_id": cid,
        },
    )
    assert response.json()["error"] == "invalid_grant"


async def test_expired_access_token_is_refused(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        token = await grant(oauth, gql, account)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.post("/graphql", json=VIEWER, headers=headers)).status_code == 200
    clock.advance(timedelta(seconds=3601))
    response = await client.post("/graphql", json=VIEWER, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # The refresh token still works after the access token expired.
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": registered["client"]["clientId"],
        },
    )
    assert response.status_code == 200


async def test_wrong_client_secret_is_invalid_client_401(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account, confidential=True)
    async with oauth_client(app, registered) as oauth:
        redirect, verifier = await authorize(oauth, gql, account)
    cid = registered["client"]["clientId"]
    data = code_exchange(registered, redirect, verifier)
    response = await client.post("/oauth/token", data=data, auth=(cid, "hf_cs_wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # Without any secret, a confidential client cannot pass as public either.
    response = await client.post("/oauth/token", data=data)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # With the right secret (the code was not spent by failed client authentication).
    response = await client.post("/oauth/token", data=data, auth=(cid, registered["clientSecret"]))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"


async def test_unsupported_grant_type_and_form_encoding(client) -> None:
    response = await client.post("/oauth/token", data={"grant_type": "password"})
    assert response.json()["error"] == "unsupported_grant_type"
    response = await client.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_code_of_a_deleted_account_is_refused(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        redirect, verifier = await authorize(oauth, gql, account)
    account.user.is_active = False  # deletion confirmed in between
    await account.user.save(update_fields=["is_active"])
    response = await client.post("/oauth/token", data=code_exchange(registered, redirect, verifier))
    assert response.status_code == 400
    assert "access_token" not in response.json()


async def test_refresh_can_narrow_but_not_widen_scopes(app, client, gql, settings) -> None:
    account = await create_account(settings)
    registered = await register_client(gql, account)
    async with oauth_client(app, registered) as oauth:
        token = await grant(oauth, gql, account)
    data = {
        "grant_type": "refresh_token",
        "refresh_token": token["refresh_token"],
        "client_id": registered["client"]["clientId"],
    }
    wider = await client.post("/oauth/token", data={**data, "scope": "alerts:write"})
    assert wider.json()["error"] == "invalid_scope"
    # The refused request did not spend the refresh token.
    narrower = await client.post("/oauth/token", data={**data, "scope": "results:read"})
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "results:read"
