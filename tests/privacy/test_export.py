"""requestDataExport builds (in the worker) an archive of everything the account owns,
without secrets and without anyone else's data, downloadable once, then deleted."""

from __future__ import annotations

import json
import re
import stat
from datetime import timedelta

from api.core import clock
from api.oauth.models import OAuthClient, OAuthToken
from api.privacy.models import DataExport
from api.targets.models import TargetDependency, TargetGroup
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.privacy.helpers import SECRET, fill_account
from workers.jobs.export import expire_data_exports

REQUEST = (
    "mutation { requestDataExport { export { id status downloadUrl expiresAt } errors { code } } }"
)
NODE = "query($id: ID!) { node(id: $id) { ... on DataExport { status state downloadUrl } } }"
EXPORTS = "{ dataExports { status downloadUrl } }"


async def test_export_holds_my_data_and_nobody_elses(
    gql, client, settings, resources, mailbox, run_core_jobs
) -> None:
    # Given two accounts with data everywhere
    ada = await create_account(settings, email="ada@example.test")
    bob = await create_account(settings, email="bob@example.test")
    ada_rows = await fill_account(ada, resources.keyring)
    await fill_account(bob, resources.keyring)

    # When Ada asks for an export and the worker builds it
    first = await gql(REQUEST, token=ada.token)
    export = first["data"]["requestDataExport"]["export"]
    assert export["status"] == "PENDING" and export["downloadUrl"] is None
    again = await gql(REQUEST, token=ada.token)  # no duplicate while one is pending
    assert again["data"]["requestDataExport"]["export"]["id"] == export["id"]
    await run_core_jobs()

    # Then the link is mailed and shown while READY
    node = (await gql(NODE, {"id": export["id"]}, token=ada.token))["data"]["node"]
    assert node["status"] == "READY" and node["state"] == "READY"
    url = node["downloadUrl"]
    assert url and url in "\n".join(mailbox.bodies("ada@example.test"))
    # Bob cannot see Ada's export
    assert (await gql(NODE, {"id": export["id"]}, token=bob.token))["data"]["node"] is None
    # The archive at rest is 0600 and not plaintext
    row = await DataExport.get(user_id=ada.user.id)
    stored = settings.data_dir / "exports" / row.file_name
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert b"ada@example.test" not in stored.read_bytes()

    response = await client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers.get_list("referrer-policy") == ["no-referrer"]  # once, not twice
    text = response.text
    archive = json.loads(text)
    assert archive["profile"]["email"] == "ada@example.test"
    data = archive["data"]
    assert [t["name"] for t in data["Target"]] == [ada_rows["target"].name]
    assert {r["id"] for r in data["CheckResult"]} == {ada_rows["result"].id}
    for name in (
        "Incident",
        "AlertChannel",
        "Notification",
        "PersonalAccessToken",
        "AuditEvent",
        "OAuthToken",
        "Order",
        "Session",
        "ResultRollup",
    ):
        assert data.get(name), name
    # Nothing of Bob's, and no secret, hash or ciphertext
    assert "bob@example.test" not in text and "Target of bob" not in text
    assert SECRET not in text
    assert not re.search(r'"[a-z_]*(hash|encrypted|secret|password)[a-z_]*"', text)

    # The link works once, and the file is gone
    assert (await client.get(url.removeprefix("http://testserver"))).status_code == 404
    assert not stored.exists()


async def test_exports_expire_and_are_deleted(
    gql, client, settings, resources, run_core_jobs
) -> None:
    ada = await create_account(settings)
    await gql(REQUEST, token=ada.token)
    await run_core_jobs()
    row = await DataExport.get(user_id=ada.user.id)
    url = resources.settings.public_url + "/exports/"
    token = resources.keyring.decrypt(row.token_encrypted)
    clock.advance(timedelta(hours=settings.export_ttl_hours, minutes=1))
    assert (await client.get(f"/exports/{token}")).status_code == 404
    assert await expire_data_exports({"resources": resources}) == 1
    assert not await DataExport.filter(id=row.id).exists()
    assert not (settings.data_dir / "exports" / row.file_name).exists()
    assert url  # (the link pointed at the API)


async def test_export_access_rules(gql, client, settings) -> None:
    ada = await create_account(settings)
    anonymous = await gql(REQUEST)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    read_only = await create_pat(ada.user, ["account:read"])
    forbidden = await gql(REQUEST, token=read_only)
    assert forbidden["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}
    assert (await client.get("/exports/hf_exp_guess")).status_code == 404


async def test_data_exports_lists_only_my_exports(gql, settings) -> None:
    query = "{ dataExports { id status } }"
    ada = await create_account(settings)
    bob = await create_account(settings)
    await gql(REQUEST, token=ada.token)
    mine = (await gql(query, token=ada.token))["data"]["dataExports"]
    assert [e["status"] for e in mine] == ["PENDING"]
    assert (await gql(query, token=bob.token))["data"]["dataExports"] == []
    anonymous = await gql(query)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    no_scope = await create_pat(ada.user, ["targets:read"])
    forbidden = await gql(query, token=no_scope)
    assert forbidden["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:read"}


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


async def test_export_holds_my_groups_with_their_targets_and_my_dependencies_only(
    gql, client, settings, resources, mailbox, run_core_jobs
) -> None:
    # Given Ada and Bob with groups and dependencies, Ada a member of Bob's workspace,
    # and (as only a bug could make it) Bob's target inside one of Ada's groups
    ada = await create_account(settings, email="ada@example.test")
    bob = await create_account(settings, email="bob@example.test")
    mine = await fill_account(ada, resources.keyring)
    bobs = await fill_account(bob, resources.keyring)
    await add_member(bob.workspace, ada.user, Role.ADMIN)
    await mine["standby"].targets.add(bobs["target"])

    # When Ada exports her data
    await gql("mutation { requestDataExport { errors { code } } }", token=ada.token)
    await run_core_jobs()
    url = (await gql(EXPORTS, token=ada.token))["data"]["dataExports"][0]["downloadUrl"]
    text = (await client.get(url.removeprefix("http://testserver"))).text
    data = json.loads(text)["data"]

    # Then her groups are there with their member targets, and her dependency
    groups = {g["name"]: g for g in data["TargetGroup"]}
    assert set(groups) == {"Group of ada@example.test", "standby"}
    assert groups["Group of ada@example.test"]["targets"] == [mine["target"].id]
    assert groups["standby"]["targets"] == []  # Bob's target is not hers to export
    assert groups["standby"]["workspace_id"] == ada.workspace.id
    (dependency,) = data["TargetDependency"]
    assert dependency["target_id"] == mine["target"].id
    assert dependency["upstream_group_id"] == mine["standby"].id
    # ...and nothing of Bob's: his group, his dependency, his target's id in a group
    assert "Group of bob@example.test" not in text
    theirs = {g.id for g in await TargetGroup.filter(workspace_id=bob.workspace.id)}
    assert not theirs & {g["id"] for g in data["TargetGroup"]}
    assert not {bobs["dependency"].id} & {d["id"] for d in data["TargetDependency"]}
    assert await TargetDependency.filter(workspace_id=bob.workspace.id).count() == 1
    assert all(bobs["target"].id not in g["targets"] for g in data["TargetGroup"])
