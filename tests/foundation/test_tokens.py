from __future__ import annotations

from api.accounts.models import PersonalAccessToken
from api.core.ids import encode
from api.core.tokens import hash_token
from tests.factories.accounts import create_account, create_pat

CREATE = """
mutation($name: String!, $scopes: [String!]!) {
  createPersonalAccessToken(name: $name, scopes: $scopes) { token id errors { field code } }
}"""
REVOKE = """
mutation($id: ID!) { revokePersonalAccessToken(id: $id) { deletedId errors { field code } } }"""
LIST = "{ viewer { personalAccessTokens { id name scopes createdAt lastUsedAt } } }"
VIEWER = "{ viewer { user { email } } }"
UPDATE = 'mutation { updateProfile(displayName: "x") { errors { code } } }'
NODE = "query($id: ID!) { node(id: $id) { id ... on PersonalAccessToken { name } } }"


async def _create(gql, token: str, scopes: list[str], name: str = "ci") -> dict:
    result = await gql(CREATE, {"name": name, "scopes": scopes}, token=token)
    return result["data"]["createPersonalAccessToken"]


async def test_a_token_is_shown_once_stored_hashed_and_listed_as_metadata(gql, settings) -> None:
    account = await create_account(settings)

    created = await _create(gql, account.token, ["targets:read", "account:read"], name=" deploy ")

    assert created["errors"] == []
    token = created["token"]
    assert token.startswith("hf_pat_")
    row = await PersonalAccessToken.get(user=account.user)
    assert row.token_hash == hash_token(token)
    assert not await PersonalAccessToken.filter(token_hash=token).exists()
    listed = (await gql(LIST, token=account.token))["data"]["viewer"]["personalAccessTokens"]
    assert len(listed) == 1
    assert listed[0]["id"] == created["id"]
    assert listed[0]["name"] == "deploy"
    assert listed[0]["scopes"] == ["account:read", "targets:read"]
    assert listed[0]["lastUsedAt"] is None
    assert token not in str(listed)
    # The token works, and its use is recorded.
    assert (await gql(VIEWER, token=token))["data"]["viewer"]["user"]["email"]
    used = (await gql(LIST, token=token))["data"]["viewer"]["personalAccessTokens"]
    assert used[0]["lastUsedAt"] is not None


async def test_a_token_without_account_scopes_is_forbidden_naming_the_scope(gql, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["targets:read"])

    read = await gql(VIEWER, token=pat)
    write = await gql(UPDATE, token=pat)
    create = await gql(CREATE, {"name": "x", "scopes": ["targets:read"]}, token=pat)

    assert read["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:read"}
    assert write["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}
    assert create["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}


async def test_a_token_cannot_mint_tokens_even_with_account_write(gql, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["account:read", "account:write"])

    result = await gql(CREATE, {"name": "child", "scopes": ["account:write"]}, token=pat)

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await PersonalAccessToken.filter(user=account.user).count() == 1


async def test_unknown_scopes_and_bad_names_are_invalid(gql, settings) -> None:
    account = await create_account(settings)
    unknown = await _create(gql, account.token, ["targets:read", "admin:everything"])
    empty = await _create(gql, account.token, [])
    no_name = await _create(gql, account.token, ["targets:read"], name="   ")
    long_name = await _create(gql, account.token, ["targets:read"], name="n" * 101)

    assert unknown == {
        "token": None,
        "id": None,
        "errors": [{"field": "scopes", "code": "INVALID"}],
    }
    assert empty["errors"] == [{"field": "scopes", "code": "INVALID"}]
    assert no_name["errors"] == [{"field": "name", "code": "INVALID"}]
    assert long_name["errors"] == [{"field": "name", "code": "INVALID"}]
    assert await PersonalAccessToken.all().count() == 0


async def test_a_revoked_token_gets_401(client, gql, settings) -> None:
    account = await create_account(settings)
    created = await _create(gql, account.token, ["account:read"])

    result = await gql(REVOKE, {"id": created["id"]}, token=account.token)

    assert result["data"]["revokePersonalAccessToken"] == {"deletedId": created["id"], "errors": []}
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {created['token']}"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    listed = (await gql(LIST, token=account.token))["data"]["viewer"]["personalAccessTokens"]
    assert listed == []


async def test_tokens_of_others_are_not_found_and_invisible(gql, settings) -> None:
    # Three principals: the owner of the token, another user, an anonymous caller.
    owner = await create_account(settings)
    other = await create_account(settings)
    created = await _create(gql, owner.token, ["account:read"])

    foreign = await gql(REVOKE, {"id": created["id"]}, token=other.token)
    anonymous = await gql(REVOKE, {"id": created["id"]})
    garbage = await gql(REVOKE, {"id": encode("Workspace", 1)}, token=other.token)

    assert foreign["data"]["revokePersonalAccessToken"] == {
        "deletedId": None,
        "errors": [{"field": "id", "code": "NOT_FOUND"}],
    }
    assert garbage["data"]["revokePersonalAccessToken"]["errors"][0]["code"] == "NOT_FOUND"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql(NODE, {"id": created["id"]}, token=other.token))["data"]["node"] is None
    assert (await gql(NODE, {"id": created["id"]}))["data"]["node"] is None
    mine = await gql(NODE, {"id": created["id"]}, token=owner.token)
    assert mine["data"]["node"] == {"id": created["id"], "name": "ci"}
    # Still valid.
    assert (await gql(VIEWER, token=created["token"]))["data"]["viewer"]


async def test_a_token_may_revoke_itself(client, gql, settings) -> None:
    account = await create_account(settings)
    created = await _create(gql, account.token, ["account:write"])
    result = await gql(REVOKE, {"id": created["id"]}, token=created["token"])
    assert result["data"]["revokePersonalAccessToken"]["errors"] == []
    again = await client.post(
        "/graphql", json={"query": UPDATE}, headers={"Authorization": f"Bearer {created['token']}"}
    )
    assert again.status_code == 401
