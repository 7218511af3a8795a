"""Alert policies: validation with field names, the workspace default, certificates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.core import clock
from api.core.errors import DomainError
from api.core.ids import encode
from api.incidents.service import check_certificates
from api.notifications.models import ChannelKind
from api.notifications.policy import parse_policy
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account, create_pat
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.results import create_result
from tests.factories.targets import create_target

SET_DEFAULT = """mutation($ws: ID!, $policy: AlertPolicyInput!) {
  setWorkspaceAlertPolicy(workspaceId: $ws, policy: $policy) { policy errors { field code } }
}"""
READ_DEFAULT = """query($id: ID!) { node(id: $id) { ... on Workspace { alertPolicy } } }"""


async def _hook(resources, account, receiver):
    return await create_channel(
        resources, account, ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )  # fmt: skip


async def test_parse_policy_normalises_and_names_bad_fields(resources, settings, receiver) -> None:
    account = await create_account(settings)
    stranger = await create_account(settings)
    mine = await _hook(resources, account, receiver)
    theirs = await _hook(resources, stranger, receiver)
    ws = account.workspace.id

    parsed = await parse_policy(
        ws,
        {"channel_ids": [encode("AlertChannel", mine.id)], "notify_on": ["DEGRADED", "DOWN"],
         "certificate_expiry_days": [7, 30, 14], "remind_every_minutes": 15},
    )  # fmt: skip
    assert parsed == {
        "channelIds": [mine.id], "notifyOn": ["DOWN", "DEGRADED"], "remindEveryMinutes": 15,
        "certificateExpiryDays": [30, 14, 7], "downConfirmRegions": None, "retries": 1,
    }  # fmt: skip
    bad = [
        (
            {"channelIds": [encode("AlertChannel", theirs.id)]},
            "alertPolicy.channelIds",
            "NOT_FOUND",
        ),
        ({"channelIds": ["garbage"]}, "alertPolicy.channelIds", "NOT_FOUND"),
        ({"channelIds": [encode("Target", mine.id)]}, "alertPolicy.channelIds", "NOT_FOUND"),
        ({}, "alertPolicy.channelIds", "INVALID"),
        ({"channelIds": [], "notifyOn": ["PAUSED"]}, "alertPolicy.notifyOn", "INVALID"),
        ({"channelIds": [], "retries": 99}, "alertPolicy.retries", "INVALID"),
        ({"channelIds": [], "remindEveryMinutes": 0}, "alertPolicy.remindEveryMinutes", "INVALID"),
        (
            {"channelIds": [], "certificateExpiryDays": [0]},
            "alertPolicy.certificateExpiryDays",
            "INVALID",
        ),
        ({"channelIds": [], "downConfirmRegions": -1}, "alertPolicy.downConfirmRegions", "INVALID"),
        ({"channelIds": [], "colour": "red"}, "alertPolicy", "INVALID"),
    ]
    for raw, field, code in bad:
        with pytest.raises(DomainError) as caught:
            await parse_policy(ws, raw)
        assert (caught.value.field, caught.value.code) == (field, code), raw


async def test_workspace_default_through_graphql(gql, resources, settings, receiver) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    channel = await _hook(resources, owner, receiver)
    policy = {"channelIds": [encode("AlertChannel", channel.id)], "notifyOn": ["DOWN"]}

    result = await gql(
        SET_DEFAULT, {"ws": owner.workspace_gid, "policy": policy}, token=owner.token
    )
    stored = result["data"]["setWorkspaceAlertPolicy"]["policy"]
    assert stored["channelIds"] == policy["channelIds"] and stored["notifyOn"] == ["DOWN"]
    read = await gql(READ_DEFAULT, {"id": owner.workspace_gid}, token=owner.token)
    assert read["data"]["node"]["alertPolicy"]["channelIds"] == policy["channelIds"]

    foreign = await gql(
        SET_DEFAULT, {"ws": owner.workspace_gid, "policy": policy}, token=stranger.token
    )
    assert foreign["data"]["setWorkspaceAlertPolicy"]["errors"][0]["code"] == "NOT_FOUND"
    theirs = await gql(
        SET_DEFAULT, {"ws": stranger.workspace_gid, "policy": policy}, token=stranger.token
    )
    assert theirs["data"]["setWorkspaceAlertPolicy"]["errors"][0] == {
        "field": "policy.channelIds", "code": "NOT_FOUND",
    }  # fmt: skip
    anon = await gql(SET_DEFAULT, {"ws": owner.workspace_gid, "policy": policy})
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    reader = await create_pat(owner.user, ["alerts:read"])
    denied = await gql(SET_DEFAULT, {"ws": owner.workspace_gid, "policy": policy}, token=reader)
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "alerts:write"}


async def test_certificate_expiry_alerts_once_per_threshold(
    resources, settings, receiver, run_core_jobs
) -> None:
    account = await create_account(settings)
    target = await create_target(
        account.workspace, name="Portal", status=TargetStatus.UP,
        channels=[await _hook(resources, account, receiver)],
        alert_policy={"certificateExpiryDays": [30, 7], "notifyOn": ["DOWN"]},
    )  # fmt: skip
    expires = clock.now() + timedelta(days=20, hours=1)
    for i in range(2):
        await create_result(target, check_id=f"cert{i}", certificate_expires_at=expires)
    assert await check_certificates(resources) == 1
    assert await check_certificates(resources) == 0  # once per threshold
    await run_core_jobs()
    (hook,) = receiver.at("/hook")
    assert hook.json()["event"] == "DEGRADED"
    assert "certificate expires in 20 days" in hook.json()["text"]

    clock.advance(timedelta(days=14))  # now within 7 days
    await create_result(target, check_id="cert9", certificate_expires_at=expires)
    assert await check_certificates(resources) == 1
