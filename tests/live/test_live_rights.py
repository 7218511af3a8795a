"""Rights on open websockets follow the member's CURRENT rights (issue 11, point 1).

Each test is the attack: a member whose rights were cut keeps a socket open and tries
what they could do before, over that socket, while HTTP already refuses it.
"""

from __future__ import annotations

import asyncio
import json
import time

from api.accounts.models import PersonalAccessToken
from api.core import clock
from api.core.ids import decode, encode
from api.events import publish
from api.notifications.models import AlertChannel, ChannelKind
from api.oauth.models import OAuthClient
from api.targets.models import Target
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.channels import create_channel
from tests.factories.targets import create_target
from tests.live.helpers import (
    LEGACY_WS,
    closed_code,
    open_socket,
    subscribed,
    wait_subscribers,
)
from tests.live.wsops import codes, ws_op
from tests.oauth.helpers import register_client
from tests.targets.helpers import CREATE, http_input

CHANGE_ROLE = """mutation($ws: ID!, $user: ID!, $role: Role!) {
  changeRole(workspaceId: $ws, userId: $user, role: $role) { member { role } errors { code } } }"""
REMOVE = """mutation($ws: ID!, $user: ID!) {
  removeMember(workspaceId: $ws, userId: $user) { deletedId errors { code } } }"""
ROLE = "query($ws: ID!) { node(id: $ws) { ... on Workspace { viewerRole } } }"
CREATE_TARGET = "mutation($input: TargetInput!) { createTarget(input: $input) { target { id } errors { code } } }"
DELETE_TARGET = "mutation($id: ID!) { deleteTarget(id: $id) { deletedId errors { code } } }"
DISABLE_CHANNEL = """mutation($id: ID!) {
  updateAlertChannel(id: $id, input: {enabled: false}) { errors { code } } }"""
EMPTY_POLICY = """mutation($ws: ID!) {
  setWorkspaceAlertPolicy(workspaceId: $ws, policy: {channelIds: []}) { errors { code } } }"""
UPDATE_CLIENT = """mutation($id: ID!) {
  updateOAuthClient(id: $id, redirectUris: ["https://evil.example/cb"]) {
    client { redirectUris } errors { code } } }"""
ROTATE = "mutation($id: ID!) { rotateOAuthClientSecret(id: $id) { clientSecret errors { code } } }"
STATUS = """subscription($ws: ID!) { targetStatusChanged(workspaceId: $ws) { id heartbeatUrl } }"""


def refused(result: dict) -> bool:
    """Refused as the HTTP API refuses it: FORBIDDEN, or a payload error (NOT_FOUND...)."""
    if "FORBIDDEN" in codes(result):
        return True
    data = result.get("data") or {}
    payload = next(iter(data.values()), None) if data else None
    return bool(payload and payload.get("errors"))


async def _team(settings, role: Role):
    owner = await create_account(settings)
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, role)
    return owner, member


async def _set_role(gql, owner, member, role: str) -> None:
    variables = {"ws": owner.workspace_gid, "user": encode("User", member.user.id), "role": role}
    result = await gql(CHANGE_ROLE, variables, token=owner.token)
    assert result["data"]["changeRole"]["errors"] == [], result


async def test_member_demoted_to_viewer_loses_writes_on_the_open_socket(
    live, gql, resources, settings
) -> None:
    owner, member = await _team(settings, Role.MEMBER)
    target = await create_target(owner.workspace, name="Checkout")
    channel = await create_channel(
        resources, owner, ChannelKind.EMAIL, {"address": "ops@example.test"}
    )
    ws = await open_socket(live.url, member.token)
    before = await ws_op(ws, ROLE, {"ws": owner.workspace_gid})
    assert before["data"]["node"]["viewerRole"] == "MEMBER"

    await _set_role(gql, owner, member, "VIEWER")

    # The very next operations on the same socket are judged with the VIEWER role.
    attempts = {
        "createTarget": (CREATE_TARGET, {"input": http_input(owner.workspace_gid)}),
        "deleteTarget": (DELETE_TARGET, {"id": encode("Target", target.id)}),
        "disableChannel": (DISABLE_CHANNEL, {"id": encode("AlertChannel", channel.id)}),
        "emptyPolicy": (EMPTY_POLICY, {"ws": owner.workspace_gid}),
    }
    for name, (document, variables) in attempts.items():
        result = await ws_op(ws, document, variables)
        assert "FORBIDDEN" in codes(result), (name, result)
    assert await Target.filter(workspace_id=owner.workspace.id).count() == 1
    assert (await AlertChannel.get(id=channel.id)).enabled is True
    after = await ws_op(ws, ROLE, {"ws": owner.workspace_gid})
    assert after["data"]["node"]["viewerRole"] == "VIEWER"
    await ws.close()


async def test_admin_demoted_to_viewer_cannot_change_oauth_clients_over_the_socket(
    live, gql, settings
) -> None:
    owner, admin = await _team(settings, Role.ADMIN)
    registered = await register_client(gql, owner, confidential=True)
    client_gid = registered["client"]["id"]
    ws = await open_socket(live.url, admin.token)
    # While ADMIN, the socket may manage the client (a harmless rename shows it).
    rename = """mutation($id: ID!) { updateOAuthClient(id: $id, name: "Renamed") {
      errors { code } } }"""
    assert (await ws_op(ws, rename, {"id": client_gid}))["data"]["updateOAuthClient"] == {
        "errors": []
    }

    await _set_role(gql, owner, admin, "VIEWER")

    assert refused(await ws_op(ws, UPDATE_CLIENT, {"id": client_gid}))
    rotated = await ws_op(ws, ROTATE, {"id": client_gid})
    assert refused(rotated)
    assert not (rotated.get("data") or {}).get("rotateOAuthClientSecret", {}).get("clientSecret")
    row = await OAuthClient.get(client_id=registered["client"]["clientId"])
    assert row.redirect_uris == ["https://client.example/callback"]
    await ws.close()


async def test_removed_member_can_do_nothing_more_on_the_socket(live, gql, settings) -> None:
    owner, member = await _team(settings, Role.MEMBER)
    ws = await open_socket(live.url, member.token)

    variables = {"ws": owner.workspace_gid, "user": encode("User", member.user.id)}
    result = await gql(REMOVE, variables, token=owner.token)
    assert result["data"]["removeMember"]["errors"] == []

    # Sent at once, before the relay's event may have closed the socket: refused anyway
    # (NOT_FOUND: the workspace is no longer theirs), or the socket is already closed.
    try:
        attempt = await ws_op(ws, CREATE_TARGET, {"input": http_input(owner.workspace_gid)})
    except Exception:  # closed by the relay first (4403)
        attempt = None
    if attempt is not None:
        assert not (attempt.get("data") or {}).get("createTarget", {}).get("target"), attempt
    assert await Target.filter(workspace_id=owner.workspace.id).count() == 0
    assert await closed_code(ws) == 4403


async def test_revoked_token_cannot_run_another_operation(live, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["targets:read", "targets:write"])
    ws = await open_socket(live.url, pat)
    assert (await ws_op(ws, ROLE, {"ws": account.workspace_gid}))["data"]["node"]

    # Revoked in the database only: no event reaches the relay, the next operation
    # still finds out (the credential is resolved again before each operation).
    await PersonalAccessToken.filter(user_id=account.user.id).update(revoked_at=clock.now())

    result = await ws_op(ws, CREATE_TARGET, {"input": http_input(account.workspace_gid)})
    assert codes(result) == ["UNAUTHENTICATED"]
    assert await closed_code(ws) == 4401
    assert await Target.filter(workspace_id=account.workspace.id).count() == 0


async def _wait_role(live, user_id: int, workspace_id: int, role: Role) -> None:
    deadline = time.monotonic() + 5
    while True:
        roles = {
            c.principal.role_in(workspace_id)
            for c in live.relay.connections
            if c.principal.user_id == user_id
        }
        if roles == {role}:
            return
        assert time.monotonic() < deadline, f"relay still sees {roles}"
        await asyncio.sleep(0.01)


async def test_subscription_stops_sending_the_heartbeat_url_after_demotion(
    live, gql, resources, settings
) -> None:
    owner, member = await _team(settings, Role.MEMBER)
    data = http_input(
        owner.workspace_gid, kind="HEARTBEAT", config={"graceSeconds": 30}, intervalSeconds=3600
    )
    created = await gql(CREATE, {"input": data}, token=owner.token)
    target = created["data"]["createTarget"]["target"]
    target_pk = decode(target["id"], "Target")

    async def status_event() -> None:
        await publish(
            resources.redis, "target_status", workspaceId=owner.workspace.id, targetId=target_pk
        )

    async with subscribed(live.url, member.token, STATUS, {"ws": owner.workspace_gid}) as sub:
        await wait_subscribers(live.relay, owner.workspace.id)
        await status_event()
        first = (await sub.wait_results(1))[0]
        assert first["targetStatusChanged"]["heartbeatUrl"] == target["heartbeatUrl"]

        await _set_role(gql, owner, member, "VIEWER")
        await _wait_role(live, member.user.id, owner.workspace.id, Role.VIEWER)
        await status_event()
        second = (await sub.wait_results(2))[1]
        assert second["targetStatusChanged"] == {"id": target["id"], "heartbeatUrl": None}


async def test_narrowing_an_oauth_clients_scopes_ends_its_subscriptions(
    live, client, gql, resources, settings
) -> None:
    owner = await create_account(settings)
    registered = await register_client(
        gql, owner, confidential=True, scopes=["targets:read", "results:read"]
    )
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered["client"]["clientId"], registered["clientSecret"]),
    )
    access = response.json()["access_token"]
    await create_target(owner.workspace)

    async with subscribed(live.url, access, STATUS, {"ws": owner.workspace_gid}) as sub:
        await wait_subscribers(live.relay, owner.workspace.id)
        narrow = """mutation($id: ID!) { updateOAuthClient(id: $id, scopes: ["results:read"]) {
          errors { code } } }"""
        result = await gql(narrow, {"id": registered["client"]["id"]}, token=owner.token)
        assert result["data"]["updateOAuthClient"]["errors"] == []
        # The relay re-resolves the token: targets:read is gone, the subscription ends.
        deadline = time.monotonic() + 5
        while live.relay.subscriber_count(owner.workspace.id):
            assert time.monotonic() < deadline, "the subscription was not ended"
            await asyncio.sleep(0.01)
        await asyncio.wait_for(asyncio.shield(sub._task), 5)
        assert sub.results == []


async def test_legacy_protocol_sockets_are_checked_too(live, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["targets:read", "targets:write"])
    ws = await open_socket(live.url, pat, LEGACY_WS)
    await PersonalAccessToken.filter(user_id=account.user.id).update(revoked_at=clock.now())

    payload = {"query": CREATE_TARGET, "variables": {"input": http_input(account.workspace_gid)}}
    await ws.send(json.dumps({"type": "start", "id": "1", "payload": payload}))
    async with asyncio.timeout(5):
        while (message := json.loads(await ws.recv()))["type"] == "ka":
            pass
    assert message["type"] == "error"
    assert message["payload"]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await closed_code(ws) == 4401
    assert await Target.filter(workspace_id=account.workspace.id).count() == 0
