"""Registering and managing OAuth clients over GraphQL (workspace owners and admins)."""

from __future__ import annotations

from api.core.tokens import hash_token
from api.oauth.models import OAuthClient
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.oauth.helpers import CREATE, REDIRECT, register_client

LIST = "query($ws: ID!) { oauthClients(workspaceId: $ws) { id clientId name scopes } }"
UPDATE = """
mutation($id: ID!, $name: String, $uris: [String!], $scopes: [String!]) {
  updateOAuthClient(id: $id, name: $name, redirectUris: $uris, scopes: $scopes) {
    client { name redirectUris scopes } errors { field code message }
  }
}
"""
ROTATE = "mutation($id: ID!) { rotateOAuthClientSecret(id: $id) { clientSecret errors { code } } }"
DELETE = "mutation($id: ID!) { deleteOAuthClient(id: $id) { deletedId errors { code } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on OAuthClient { clientId } } }"


def variables(account, **overrides):
    values = {
        "ws": account.workspace_gid,
        "name": "Grafana",
        "uris": [REDIRECT, "http://localhost:8080/cb", "http://127.0.0.1/cb"],
        "scopes": ["results:read", "targets:read"],
        "conf": True,
    }
    values.update(overrides)
    return values


async def test_confidential_client_secret_shown_once_and_stored_hashed(gql, settings) -> None:
    account = await create_account(settings)
    result = await gql(CREATE, variables(account), token=account.token)
    payload = result["data"]["createOAuthClient"]
    assert payload["errors"] == []
    client = payload["client"]
    assert client["name"] == "Grafana"
    assert client["confidential"] is True
    assert client["scopes"] == ["targets:read", "results:read"]
    secret = payload["clientSecret"]
    assert secret.startswith("hf_cs_")
    row = await OAuthClient.get(client_id=client["clientId"])
    assert row.client_secret_hash == hash_token(secret)
    assert secret not in str(await OAuthClient.all().values())
    # Listing never shows the secret again.
    listed = await gql(LIST, {"ws": account.workspace_gid}, token=account.token)
    assert listed["data"]["oauthClients"] == [
        {
            "id": client["id"],
            "clientId": client["clientId"],
            "name": "Grafana",
            "scopes": ["targets:read", "results:read"],
        }
    ]


async def test_public_client_has_no_secret(gql, settings) -> None:
    account = await create_account(settings)
    payload = await register_client(gql, account, confidential=False)
    assert payload["clientSecret"] is None
    rotated = await gql(ROTATE, {"id": payload["client"]["id"]}, token=account.token)
    assert rotated["data"]["rotateOAuthClientSecret"]["errors"] == [{"code": "INVALID"}]


async def test_bad_input_is_a_user_error(gql, settings) -> None:
    account = await create_account(settings)
    cases = [
        ({"uris": ["http://client.example/cb"]}, "redirectUris"),
        ({"uris": ["https://client.example/cb#frag"]}, "redirectUris"),
        ({"uris": ["ftp://client.example/cb"]}, "redirectUris"),
        ({"uris": []}, "redirectUris"),
        ({"scopes": ["admin:everything"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
    ]
    for overrides, field in cases:
        result = await gql(CREATE, variables(account, **overrides), token=account.token)
        errors = result["data"]["createOAuthClient"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, "INVALID")], overrides
    assert await OAuthClient.all().count() == 0


async def test_update_rotate_and_delete(gql, settings) -> None:
    account = await create_account(settings)
    payload = (await gql(CREATE, variables(account), token=account.token))["data"][
        "createOAuthClient"
    ]
    gid = payload["client"]["id"]
    updated = await gql(
        UPDATE, {"id": gid, "name": "Grafana 2", "scopes": ["results:read"]}, token=account.token
    )
    assert updated["data"]["updateOAuthClient"]["client"]["name"] == "Grafana 2"
    assert updated["data"]["updateOAuthClient"]["client"]["scopes"] == ["results:read"]
    bad = await gql(UPDATE, {"id": gid, "uris": ["http://example.com/cb"]}, token=account.token)
    assert bad["data"]["updateOAuthClient"]["errors"][0]["field"] == "redirectUris"

    rotated = await gql(ROTATE, {"id": gid}, token=account.token)
    new_secret = rotated["data"]["rotateOAuthClientSecret"]["clientSecret"]
    assert new_secret and new_secret != payload["clientSecret"]
    row = await OAuthClient.get(client_id=payload["client"]["clientId"])
    assert row.client_secret_hash == hash_token(new_secret)

    deleted = await gql(DELETE, {"id": gid}, token=account.token)
    assert deleted["data"]["deleteOAuthClient"] == {"deletedId": gid, "errors": []}
    assert await OAuthClient.all().count() == 0


async def test_other_workspaces_and_non_admins_get_not_found(gql, settings) -> None:
    owner = await create_account(settings)
    outsider = await create_account(settings)
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.MEMBER)
    payload = (await gql(CREATE, variables(owner), token=owner.token))["data"]["createOAuthClient"]
    gid = payload["client"]["id"]

    for other in (outsider, viewer):
        # Creating in someone else's workspace (or without the admin role)
        result = await gql(CREATE, variables(owner), token=other.token)
        assert result["data"]["createOAuthClient"]["errors"][0]["code"] == "NOT_FOUND"
        # Listing, node lookup, update, rotate, delete
        listed = await gql(LIST, {"ws": owner.workspace_gid}, token=other.token)
        assert listed["data"]["oauthClients"] == []
        assert (await gql(NODE, {"id": gid}, token=other.token))["data"]["node"] is None
        for doc, name in (
            (UPDATE, "updateOAuthClient"),
            (ROTATE, "rotateOAuthClientSecret"),
            (DELETE, "deleteOAuthClient"),
        ):
            result = await gql(doc, {"id": gid, "name": "pwned"}, token=other.token)
            assert result["data"][name]["errors"][0]["code"] == "NOT_FOUND"
    assert (await OAuthClient.get(id=(await OAuthClient.first()).id)).name == "Grafana"
    # The owner still sees it, also through node(id:).
    assert (await gql(NODE, {"id": gid}, token=owner.token))["data"]["node"] == {
        "clientId": payload["client"]["clientId"]
    }


async def test_an_admin_member_may_manage(gql, settings) -> None:
    owner = await create_account(settings)
    admin = await create_account(settings)
    await add_member(owner.workspace, admin.user, Role.ADMIN)
    result = await gql(CREATE, variables(owner), token=admin.token)
    assert result["data"]["createOAuthClient"]["errors"] == []


async def test_anonymous_and_tokens_cannot_manage_clients(gql, settings) -> None:
    owner = await create_account(settings)
    anonymous = await gql(CREATE, variables(owner))
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    pat = await create_pat(owner.user, ["account:read", "account:write"])
    with_pat = await gql(CREATE, variables(owner), token=pat)
    assert with_pat["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await gql(LIST, {"ws": owner.workspace_gid}, token=pat)
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await OAuthClient.all().count() == 0
