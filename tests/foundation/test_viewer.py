from __future__ import annotations

from unittest.mock import ANY

from tests.factories.accounts import create_account, create_pat

VIEWER = "{ viewer { user { email } workspaces { id name viewerRole } } }"


async def test_viewer_returns_user_and_personal_workspace(gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    result = await gql(VIEWER, token=account.token)
    assert "errors" not in result
    viewer = result["data"]["viewer"]
    assert viewer["user"]["email"] == "ada@example.test"
    assert viewer["workspaces"] == [
        {"id": account.workspace_gid, "name": account.workspace.name, "viewerRole": "OWNER"}
    ]


async def test_anonymous_viewer_is_null(gql) -> None:
    result = await gql(VIEWER)
    assert result == {"extensions": ANY, "data": {"viewer": None}}


async def test_bad_bearer_token_is_unauthenticated(client) -> None:
    response = await client.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": "Bearer hf_sess_not-a-real-token"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "hf_sess_not-a-real-token" not in response.text


async def test_token_without_account_read_is_forbidden(gql, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["targets:read"])
    result = await gql(VIEWER, token=pat)
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:read"}
