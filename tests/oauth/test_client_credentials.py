"""client_credentials: a confidential client acting on its own workspace only."""

from __future__ import annotations

from api.oauth.models import OAuthToken
from tests.factories.accounts import create_account
from tests.oauth.helpers import register_client

WORKSPACES = "{ viewer { user { email } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Workspace { name viewerRole } } }"


async def client_token(client, registered, **data) -> dict:
    cid = registered["client"]["clientId"]
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **data},
        auth=(cid, registered["clientSecret"]),
    )
    return {"status": response.status_code, **response.json()}


async def test_token_acts_for_its_workspace_only(client, gql, settings) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    registered = await register_client(
        gql, owner, confidential=True, scopes=["account:read", "targets:read"]
    )
    token = await client_token(client, registered)
    assert token["status"] == 200
    assert "refresh_token" not in token
    # A client is no user: account scopes are never part of its token.
    assert token["scope"] == "targets:read"
    row = await OAuthToken.get(client__client_id=registered["client"]["clientId"])
    assert row.user_id is None

    access = token["access_token"]
    # Its own workspace is readable (as a viewer: no write scope was granted)...
    mine = await gql(NODE, {"id": owner.workspace_gid}, token=access)
    assert mine["data"]["node"] == {"name": owner.workspace.name, "viewerRole": "VIEWER"}
    # ...another workspace is not.
    theirs = await gql(NODE, {"id": stranger.workspace_gid}, token=access)
    assert theirs["data"]["node"] is None
    # It is nobody: viewer is null, and account scopes cannot be asked for.
    assert (await gql(WORKSPACES, token=access))["data"]["viewer"] is None
    refused = await client_token(client, registered, scope="account:read")
    assert refused["error"] == "invalid_scope"


async def test_secret_in_the_form_works_too(client, gql, settings) -> None:
    owner = await create_account(settings)
    registered = await register_client(gql, owner, confidential=True, scopes=["targets:read"])
    data = {
        "grant_type": "client_credentials",
        "client_id": registered["client"]["clientId"],
        "client_secret": registered["clientSecret"],
    }
    response = await client.post("/oauth/token", data=data)
    assert response.status_code == 200
    response = await client.post("/oauth/token", data={**data, "client_secret": "hf_cs_nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_narrower_scope_and_invalid_scope(client, gql, settings) -> None:
    owner = await create_account(settings)
    registered = await register_client(gql, owner, confidential=True, scopes=["targets:read"])
    narrower = await client_token(client, registered, scope="targets:read")
    assert narrower["scope"] == "targets:read"
    wider = await client_token(client, registered, scope="targets:write")
    assert wider["status"] == 400
    assert wider["error"] == "invalid_scope"


async def test_public_clients_cannot_use_client_credentials(client, gql, settings) -> None:
    owner = await create_account(settings)
    registered = await register_client(gql, owner, confidential=False)
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": registered["client"]["clientId"]},
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "unauthorized_client")


async def test_deleted_client_tokens_stop_working(client, gql, settings) -> None:
    owner = await create_account(settings)
    registered = await register_client(gql, owner, confidential=True)
    access = (await client_token(client, registered))["access_token"]
    deleted = await gql(
        "mutation($id: ID!) { deleteOAuthClient(id: $id) { deletedId } }",
        {"id": registered["client"]["id"]},
        token=owner.token,
    )
    assert deleted["data"]["deleteOAuthClient"]["deletedId"]
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { user { email } } }"},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert response.status_code == 401
