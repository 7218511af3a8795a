"""Leaving a workspace ends what you created there (issue 11, point 6).

A client belongs to its workspace, but its own grant (client_credentials) acts only while
the member who registered it (or last rotated its secret) is an active OWNER or ADMIN of
it: they knew the secret. Removal, demotion below ADMIN and account deletion revoke its
client_credentials tokens and refuse new ones until a current OWNER/ADMIN rotates the
secret. Tokens users granted to the client act with those users' own rights and stay.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.core import clock
from api.core.ids import encode
from api.oauth.models import OAuthToken
from api.privacy.deletion import lock_account
from api.targets.models import Target
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account
from tests.live.helpers import closed_code, open_socket
from tests.live.server import live, start_live  # noqa: F401 - fixtures
from tests.oauth.helpers import CREATE as CREATE_CLIENT
from tests.oauth.helpers import REDIRECT
from tests.targets.helpers import CREATE, http_input

TARGETS = """query($ws: ID!) { node(id: $ws) { ... on Workspace {
  targets(first: 5) { edges { node { id } } } } } }"""
REMOVE = """mutation($ws: ID!, $user: ID!) {
  removeMember(workspaceId: $ws, userId: $user) { errors { code } } }"""
CHANGE_ROLE = """mutation($ws: ID!, $user: ID!, $role: Role!) {
  changeRole(workspaceId: $ws, userId: $user, role: $role) { errors { code } } }"""
ROTATE = """mutation($id: ID!) { rotateOAuthClientSecret(id: $id) {
  clientSecret errors { code } } }"""


async def _setup(gql, client, settings):
    """An OWNER's workspace, an ADMIN who registered a client there, and its token."""
    owner = await create_account(settings)
    admin = await create_account(settings)
    await add_member(owner.workspace, admin.user, Role.ADMIN)
    variables = {
        "ws": owner.workspace_gid,
        "name": "Deploy bot",
        "uris": [REDIRECT],
        "scopes": ["targets:read", "targets:write"],
        "conf": True,
    }
    result = await gql(CREATE_CLIENT, variables, token=admin.token)
    registered = result["data"]["createOAuthClient"]
    assert registered["errors"] == []
    token = await _grant(client, registered["client"]["clientId"], registered["clientSecret"])
    assert token["status"] == 200
    return owner, admin, registered, token["access_token"]


async def _grant(client, client_id: str, secret: str) -> dict:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    return {"status": response.status_code, **response.json()}


async def _works(client, owner, access: str) -> bool:
    headers = {"Authorization": f"Bearer {access}"}
    response = await client.post(
        "/graphql",
        json={"query": TARGETS, "variables": {"ws": owner.workspace_gid}},
        headers=headers,
    )
    if response.status_code == 401:
        return False
    assert response.status_code == 200, response.text
    return response.json()["data"]["node"] is not None


async def _create_with(client, owner, access: str) -> int:
    headers = {"Authorization": f"Bearer {access}"}
    payload = {"query": CREATE, "variables": {"input": http_input(owner.workspace_gid)}}
    response = await client.post("/graphql", json=payload, headers=headers)
    return response.status_code


async def _remove(gql, owner, admin) -> None:
    variables = {"ws": owner.workspace_gid, "user": encode("User", admin.user.id)}
    assert (await gql(REMOVE, variables, token=owner.token))["data"]["removeMember"]["errors"] == []


async def _demote(gql, owner, admin) -> None:
    variables = {
        "ws": owner.workspace_gid,
        "user": encode("User", admin.user.id),
        "role": "MEMBER",
    }
    assert (await gql(CHANGE_ROLE, variables, token=owner.token))["data"]["changeRole"][
        "errors"
    ] == []


async def _delete_account(resources, owner, admin) -> None:
    await lock_account(resources.redis, admin.user.id, clock.now() + timedelta(days=30))


@pytest.mark.parametrize("leave", [_remove, _demote, "delete"])
async def test_registrants_client_credentials_stop_when_they_leave(
    client, gql, resources, settings, leave
) -> None:
    owner, admin, registered, access = await _setup(gql, client, settings)
    assert await _works(client, owner, access)

    if leave == "delete":
        await _delete_account(resources, owner, admin)
    else:
        await leave(gql, owner, admin)

    # The token they could mint stops reading and creating targets...
    assert not await _works(client, owner, access)
    assert await _create_with(client, owner, access) == 401
    assert await Target.filter(workspace_id=owner.workspace.id).count() == 0
    row = await OAuthToken.get(client__client_id=registered["client"]["clientId"])
    assert row.revoked_at is not None
    # ...the secret they knew gets no new token...
    again = await _grant(client, registered["client"]["clientId"], registered["clientSecret"])
    assert again["status"] == 400
    assert again["error"] == "unauthorized_client"

    # ...until a current OWNER rotates the secret: the client is theirs from then on.
    rotated = await gql(ROTATE, {"id": registered["client"]["id"]}, token=owner.token)
    secret = rotated["data"]["rotateOAuthClientSecret"]["clientSecret"]
    fresh = await _grant(client, registered["client"]["clientId"], secret)
    assert fresh["status"] == 200
    assert await _works(client, owner, fresh["access_token"])


async def test_a_promotion_or_another_members_removal_changes_nothing(
    client, gql, settings
) -> None:
    owner, admin, _registered, access = await _setup(gql, client, settings)
    bystander = await create_account(settings)
    await add_member(owner.workspace, bystander.user, Role.ADMIN)
    await _remove(gql, owner, bystander)
    variables = {"ws": owner.workspace_gid, "user": encode("User", admin.user.id), "role": "OWNER"}
    assert (await gql(CHANGE_ROLE, variables, token=owner.token))["data"]["changeRole"][
        "errors"
    ] == []
    assert await _works(client, owner, access)


async def test_the_clients_live_socket_closes_when_its_registrant_is_removed(
    live,  # noqa: F811 - the fixture imported above
    client,
    gql,
    settings,
) -> None:
    owner, admin, _registered, access = await _setup(gql, client, settings)
    ws = await open_socket(live.url, access)
    await _remove(gql, owner, admin)
    assert await closed_code(ws) == 4401
