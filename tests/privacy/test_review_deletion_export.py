"""Review fixes: deletion locks the workspace's OAuth clients and is atomic; the export
link is for the account holder's session only; the export holds no third party's grants."""

from __future__ import annotations

import json
from datetime import timedelta

from api.accounts.models import EmailToken, User
from api.core import clock
from api.oauth.models import OAuthClient, OAuthToken
from api.privacy import deletion, ledger
from api.privacy.models import DeletionLedger
from tests.factories import PASSWORD, create_account, create_pat
from tests.oauth.helpers import register_client
from tests.privacy.test_account_deletion import CONFIRM, REQUEST, link_token

NODE = "query($id: ID!) { node(id: $id) { ... on Workspace { name } } }"
EXPORTS = "{ dataExports { status downloadUrl } }"


async def _client_token(client, registered) -> dict:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered["client"]["clientId"], registered["clientSecret"]),
    )
    return {"status": response.status_code, **response.json()}


async def _delete(gql, account, mailbox, run_core_jobs) -> None:
    assert (await gql(REQUEST, {"p": PASSWORD}, token=account.token))["data"]
    await run_core_jobs()
    token = link_token(mailbox, account.user.email)
    assert await gql(CONFIRM, {"t": token}) == {"data": {"confirmAccountDeletion": True}}


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
    await _delete(gql, ada, mailbox, run_core_jobs)

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


async def test_confirmation_is_consistent_when_the_ledger_file_fails(
    gql, settings, mailbox, run_core_jobs, monkeypatch
) -> None:
    ada = await create_account(settings)
    assert (await gql(REQUEST, {"p": PASSWORD}, token=ada.token))["data"]
    await run_core_jobs()
    token = link_token(mailbox, ada.user.email)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ledger, "append_ledger_file", disk_full)
    await gql(CONFIRM, {"t": token})
    # The link is used, so the account is locked and the database ledger holds it.
    assert await EmailToken.filter(user_id=ada.user.id, used_at=None).count() == 0
    user = await User.get(id=ada.user.id)
    assert not user.is_active and user.deletion_scheduled_for is not None
    assert await DeletionLedger.filter(user_id=ada.user.id, scheduled_for__not_isnull=True).exists()


async def test_confirmation_rolls_back_when_the_lock_fails(
    gql, settings, mailbox, run_core_jobs, monkeypatch
) -> None:
    ada = await create_account(settings)
    assert (await gql(REQUEST, {"p": PASSWORD}, token=ada.token))["data"]
    await run_core_jobs()
    token = link_token(mailbox, ada.user.email)

    async def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(deletion, "pause_sole_workspaces", broken)
    result = await gql(CONFIRM, {"t": token})
    assert result.get("errors")
    # Nothing happened: the link still works and the account is untouched.
    assert (await User.get(id=ada.user.id)).is_active
    assert not await DeletionLedger.filter(user_id=ada.user.id).exists()
    monkeypatch.undo()
    assert await gql(CONFIRM, {"t": token}) == {"data": {"confirmAccountDeletion": True}}


async def test_only_a_session_sees_the_export_link(gql, settings, mailbox, run_core_jobs) -> None:
    ada = await create_account(settings)
    mutation = "mutation { requestDataExport { export { status } errors { code } } }"
    await gql(mutation, token=ada.token)
    await run_core_jobs()
    mine = await gql(EXPORTS, token=ada.token)
    assert mine["data"]["dataExports"][0]["downloadUrl"]
    pat = await create_pat(ada.user, ["account:read"])
    via_pat = await gql(EXPORTS, token=pat)
    assert via_pat["data"]["dataExports"] == [{"status": "READY", "downloadUrl": None}]


async def test_export_leaves_out_other_users_grants(
    gql, client, settings, resources, mailbox, run_core_jobs
) -> None:
    # Bob authorised Ada's workspace client; Ada's export must not hold Bob's grants.
    ada = await create_account(settings, email="ada@example.test")
    bob = await create_account(settings, email="bob@example.test")
    now = clock.now()
    app = await OAuthClient.create(
        workspace=ada.workspace, name="Dash", client_id="cid-dash", created_by=ada.user,
        redirect_uris=["https://d.example.test/cb"], created_at=now, updated_at=now,
    )  # fmt: skip
    for user, tag in ((ada.user, "a"), (bob.user, "b")):
        await OAuthToken.create(
            client=app, user=user, family_id=f"fam-{tag}", grant_type="authorization_code",
            access_token_hash=tag * 64, issued_at=now, expires_at=now + timedelta(hours=1),
        )  # fmt: skip
    await gql("mutation { requestDataExport { errors { code } } }", token=ada.token)
    await run_core_jobs()
    url = (await gql(EXPORTS, token=ada.token))["data"]["dataExports"][0]["downloadUrl"]
    archive = json.loads((await client.get(url.removeprefix("http://testserver"))).text)
    tokens = archive["data"]["OAuthToken"]
    assert {t["user_id"] for t in tokens} == {ada.user.id}
    assert "fam-b" not in json.dumps(archive)


async def test_other_members_cannot_restart_checks_of_a_deleted_owners_workspace(
    gql, settings, mailbox, run_core_jobs
) -> None:
    from api.targets.models import Target
    from api.workspaces.models import Role
    from tests.factories import add_member

    # Given a workspace with a target, its sole owner and an admin
    ada = await create_account(settings)
    bob = await create_account(settings)
    await add_member(ada.workspace, bob.user, Role.ADMIN)
    target = await Target.create(
        workspace=ada.workspace, name="site", kind="HTTP", config={"url": "https://example.com"},
        regions=["eu-west"],
    )  # fmt: skip
    # When the owner confirms the deletion of the account (its checks are paused)
    await _delete(gql, ada, mailbox, run_core_jobs)
    assert (await Target.get(id=target.id)).paused

    # Then the admin can neither resume them nor add new ones
    from api.graphql.ids import encode

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
