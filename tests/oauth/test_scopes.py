"""An OAuth token carries only what the user granted: FORBIDDEN names the missing scope."""

from __future__ import annotations

from unittest.mock import ANY

from tests.factories.accounts import create_account
from tests.oauth.helpers import grant, oauth_client, register_client

VIEWER = "{ viewer { user { email } } }"
TARGET = 'query { target(id: "VGFyZ2V0OjE=") { name } }'
APPS = "{ authorizedApps { name } }"
CREATE_PAT = 'mutation { createPersonalAccessToken(name: "x", scopes: ["results:read"]) { token } }'


async def token_with(app, gql, account, scopes: list[str]) -> str:
    registered = await register_client(gql, account, scopes=scopes)
    async with oauth_client(app, registered) as oauth:
        return (await grant(oauth, gql, account))["access_token"]  # type: ignore[no-any-return]


async def test_results_read_only_token(app, gql, settings) -> None:
    account = await create_account(settings)
    token = await token_with(app, gql, account, ["results:read"])
    for document, scope in (
        (VIEWER, "account:read"),
        (TARGET, "targets:read"),
        (APPS, "account:read"),
    ):
        result = await gql(document, token=token)
        assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": scope}, document
        assert scope in result["errors"][0]["message"]


async def test_granted_scope_is_usable_and_others_are_not(app, gql, settings) -> None:
    account = await create_account(settings, email="grace@example.test")
    token = await token_with(app, gql, account, ["account:read"])
    result = await gql(VIEWER, token=token)
    assert result == {
        "extensions": ANY,
        "data": {"viewer": {"user": {"email": "grace@example.test"}}},
    }
    apps = await gql(APPS, token=token)
    assert apps["data"]["authorizedApps"] == [{"name": "Dashboard"}]
    update = await gql(
        'mutation { updateProfile(displayName: "x") { errors { code } } }', token=token
    )
    assert update["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}


async def test_tokens_cannot_mint_tokens_or_consent(app, gql, settings) -> None:
    account = await create_account(settings)
    token = await token_with(app, gql, account, ["account:read", "account:write"])
    pat = await gql(CREATE_PAT, token=token)
    assert pat["data"] is None or pat["data"]["createPersonalAccessToken"]["token"] is None
    approve = await gql(
        'mutation { approveOAuthAuthorization(id: "x") { redirectUrl } }', token=token
    )
    assert approve["errors"][0]["extensions"]["code"] == "FORBIDDEN"
