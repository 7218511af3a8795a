"""FREE workspaces meet PLAN_LIMIT where the plan ends: targets (create, resume, interval,
regions), alert channels and invitations — through a session, a PAT and an OAuth token."""

from __future__ import annotations

from api.billing.plans import PLANS, Plan
from api.targets.models import Target
from api.workspaces.models import Invitation
from tests.billing.helpers import CREATE_TARGET, gid, target_input
from tests.factories.accounts import create_account, create_pat
from tests.oauth.helpers import grant, oauth_client, register_client

FREE = PLANS[Plan.FREE]
UPDATE = """mutation($id: ID!, $input: TargetPatch!) { updateTarget(id: $id, input: $input) {
  target { intervalSeconds } errors { field code message } } }"""
PAUSE = "mutation($id: ID!) { pauseTarget(id: $id) { errors { code } } }"
RESUME = (
    "mutation($id: ID!) { resumeTarget(id: $id) { target { status } errors { code message } } }"
)
CHANNEL = """mutation($ws: ID!, $n: String!, $addr: String!) { createAlertChannel(input: {
  workspaceId: $ws, name: $n, kind: EMAIL, config: {address: $addr} }) {
  alertChannel { id } errors { code message } } }"""
INVITE = """mutation($ws: ID!, $email: String!) {
  inviteMember(workspaceId: $ws, email: $email, role: MEMBER) { errors { code message } } }"""


async def _fill(gql, account, count: int) -> list[str]:
    ids = []
    for n in range(count):
        result = await gql(
            CREATE_TARGET, {"input": target_input(account.workspace_gid, n)}, token=account.token
        )
        assert result["data"]["createTarget"]["errors"] == [], result
        ids.append(result["data"]["createTarget"]["target"]["id"])
    return ids


async def test_the_eleventh_target_on_free_is_refused_naming_limit_plan_and_usage(
    gql, settings
) -> None:
    owner = await create_account(settings)
    await _fill(gql, owner, FREE.targets)

    result = await gql(
        CREATE_TARGET, {"input": target_input(owner.workspace_gid, 99)}, token=owner.token
    )

    error = result["data"]["createTarget"]["errors"][0]
    assert error["code"] == "PLAN_LIMIT"
    assert "targets is 10 on the FREE plan" in error["message"]
    assert "uses 10" in error["message"]
    assert await Target.filter(workspace_id=owner.workspace.id).count() == FREE.targets


async def test_pat_and_oauth_tokens_meet_the_same_limit(app, gql, settings) -> None:
    owner = await create_account(settings)
    await _fill(gql, owner, FREE.targets)
    pat = await create_pat(owner.user, ["targets:write", "targets:read"])
    registered = await register_client(gql, owner, scopes=["targets:read", "targets:write"])
    oauth = oauth_client(app, registered)
    token = (await grant(oauth, gql, owner))["access_token"]

    for credential in (pat, token):
        result = await gql(
            CREATE_TARGET, {"input": target_input(owner.workspace_gid, 50)}, token=credential
        )
        assert result["data"]["createTarget"]["errors"][0]["code"] == "PLAN_LIMIT", result
    assert await Target.filter(workspace_id=owner.workspace.id).count() == FREE.targets


async def test_interval_and_regions_beyond_the_plan_are_refused_on_create_and_update(
    gql, settings
) -> None:
    owner = await create_account(settings)
    ws = owner.workspace_gid

    fast = await gql(
        CREATE_TARGET, {"input": target_input(ws, intervalSeconds=60)}, token=owner.token
    )
    wide = await gql(
        CREATE_TARGET,
        {"input": target_input(ws, regions=["eu-west", "us-east", "ap-south", "us-west"])},
        token=owner.token,
    )
    (target_id,) = await _fill(gql, owner, 1)
    faster = await gql(
        UPDATE, {"id": target_id, "input": {"intervalSeconds": 30}}, token=owner.token
    )

    assert fast["data"]["createTarget"]["errors"][0]["field"] == "intervalSeconds"
    assert (
        "minIntervalSeconds is 300 on the FREE plan"
        in (fast["data"]["createTarget"]["errors"][0]["message"])
    )
    assert wide["data"]["createTarget"]["errors"][0]["code"] == "PLAN_LIMIT"
    assert wide["data"]["createTarget"]["errors"][0]["field"] == "regions"
    assert faster["data"]["updateTarget"]["errors"][0]["code"] == "PLAN_LIMIT"
    assert [t.interval_seconds for t in await Target.filter(workspace_id=owner.workspace.id)] == [
        300
    ]


async def test_a_target_without_regions_gets_the_served_regions_the_plan_allows(
    gql, settings
) -> None:
    owner = await create_account(settings)
    values = target_input(owner.workspace_gid)
    del values["regions"]

    result = await gql(CREATE_TARGET, {"input": values}, token=owner.token)

    assert result["data"]["createTarget"]["errors"] == []
    (target,) = await Target.filter(workspace_id=owner.workspace.id)
    assert target.regions == ["eu-west", "us-east", "ap-south"]  # 3 of the 4 served


async def test_resuming_a_paused_target_at_the_limit_is_refused(gql, settings) -> None:
    owner = await create_account(settings)
    ids = await _fill(gql, owner, FREE.targets)
    await gql(PAUSE, {"id": ids[0]}, token=owner.token)
    await _fill(gql, owner, 1)  # the paused one freed a place, now taken

    result = await gql(RESUME, {"id": ids[0]}, token=owner.token)

    assert result["data"]["resumeTarget"]["errors"][0]["code"] == "PLAN_LIMIT"
    assert await Target.filter(workspace_id=owner.workspace.id, paused=True).count() == 1


async def test_channels_and_invitations_stop_at_the_plan_limit(gql, settings) -> None:
    owner = await create_account(settings)
    ws = owner.workspace_gid
    channels = [
        await gql(CHANNEL, {"ws": ws, "n": f"c{n}", "addr": owner.user.email}, token=owner.token)
        for n in range(FREE.channels + 1)
    ]
    # the owner is one member: FREE.members - 1 invitations fit
    invites = [
        await gql(INVITE, {"ws": ws, "email": f"friend{n}@example.test"}, token=owner.token)
        for n in range(FREE.members)
    ]

    assert [c["data"]["createAlertChannel"]["errors"] for c in channels[:-1]] == [
        []
    ] * FREE.channels
    assert channels[-1]["data"]["createAlertChannel"]["errors"][0]["code"] == "PLAN_LIMIT"
    assert invites[-1]["data"]["inviteMember"]["errors"][0]["code"] == "PLAN_LIMIT"
    assert await Invitation.filter(workspace_id=owner.workspace.id).count() == FREE.members - 1


async def test_a_stranger_gets_not_found_not_the_plan_limit(gql, settings) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    await _fill(gql, owner, FREE.targets)

    result = await gql(
        CREATE_TARGET, {"input": target_input(owner.workspace_gid)}, token=stranger.token
    )

    assert result["data"]["createTarget"]["errors"][0]["code"] == "NOT_FOUND"
    assert gid(0)  # helper sanity
