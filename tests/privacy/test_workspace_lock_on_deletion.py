"""Deleting the account of a workspace's sole owner locks the workspace: its OAuth clients
lose their tokens and get no new ones, and other members cannot restart its checks."""

from __future__ import annotations

from api.accounts.models import User
from api.oauth.models import OAuthToken
from api.privacy import deletion
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.oauth.helpers import register_client
from tests.privacy.helpers import confirm_deletion

NODE = "query($id: ID!) { node(id: $id) { ... on Workspace { name } } }"


async def _client_token(client, registered) -> dict:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered["client"]["clientId"], registered["clientSecret"]),
    )
    return {"status": response.status_code, **response.json()}


async def test_deletion_locks_the_workspace_oauth_clients(
    gql, client, settings, mailbox, run_core_jobs
) -> None:
    # Given a workspace client acting by client_credentials
    ada = await create_account(settings)
    registered = await register_client(gql, ada, confidential=True, scopes=["targets:read"])
    before = await _client_token(client, registered)
    assert before["status"] == 200
    assert (await gql(NODE, {"id": ada.workspace_gid}, token=before["access_token"]))["data"][
        "node"
    ] == {"name": ada.workspace.name}
    assert not await deletion.workspace_locked(ada.workspace.id)

    # When its sole owner confirms the deletion of the account
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)

    # Then the client's token is revoked and no new one is issued
    response = await client.post(
        "/graphql",
        json={"query": NODE, "variables": {"id": ada.workspace_gid}},
        headers={"Authorization": f"Bearer {before['access_token']}"},
    )
    assert response.status_code == 401
    assert await OAuthToken.filter(user_id=None, revoked_at=None).count() == 0
    after = await _client_token(client, registered)
    assert after["status"] == 401 and after["error"] == "invalid_client"
    assert await deletion.workspace_locked(ada.workspace.id)


async def test_a_client_token_dies_with_its_locked_workspace(gql, client, settings) -> None:
    # Even a token that escaped revocation is refused once every owner is inactive.
    ada = await create_account(settings)
    registered = await register_client(gql, ada, confidential=True, scopes=["targets:read"])
    token = (await _client_token(client, registered))["access_token"]
    await User.filter(id=ada.user.id).update(is_active=False)
    response = await client.post(
        "/graphql",
        json={"query": NODE, "variables": {"id": ada.workspace_gid}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401


async def test_other_members_cannot_restart_checks_of_a_deleted_owners_workspace(
    gql, settings, mailbox, run_core_jobs
) -> None:
    from api.targets.models import Target
    from api.workspaces.models import Role
    from tests.factories.accounts import add_member

    # Given a workspace with a target, its sole owner and an admin
    ada = await create_account(settings)
    bob = await create_account(settings)
    await add_member(ada.workspace, bob.user, Role.ADMIN)
    target = await create_target(
        ada.workspace, name="site", url="https://example.com", regions=["eu-west"]
    )
    # When the owner confirms the deletion of the account (its checks are paused)
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)
    assert (await Target.get(id=target.id)).paused

    # Then the admin can neither resume them nor add new ones
    from api.core.ids import encode

    resumed = await gql(
        "mutation($id: ID!) { resumeTarget(id: $id) { errors { code field } } }",
        {"id": encode("Target", target.id)},
        token=bob.token,
    )
    assert resumed["data"]["resumeTarget"]["errors"] == [
        {"code": "INVALID", "field": "workspaceId"}
    ]
    created = await gql(
        """mutation($ws: ID!) { createTarget(input: {workspaceId: $ws, name: "x", kind: HTTP,
           config: {url: "https://example.org"}}) { target { id } errors { code } } }""",
        {"ws": ada.workspace_gid},
        token=bob.token,
    )
    assert created["data"]["createTarget"] == {"target": None, "errors": [{"code": "INVALID"}]}
    assert (await Target.get(id=target.id)).paused
