"""Alert channels through GraphQL: validation with field names, write-only secrets,
e-mail confirmation, test sends, and tenancy (owner, stranger, anonymous, scopes)."""

from __future__ import annotations

import re

from api.core.ids import decode
from api.incidents.service import process_transitions
from api.notifications.models import AlertChannel, ChannelKind, DeliveryStatus, Notification
from api.targets.models import TargetStatus
from api.workspaces.models import Role
from tests.alerting.channel_documents import (
    CHANNELS,
    CONFIRM,
    CREATE,
    DELETE,
    TEST,
    UPDATE,
    channel_input,
)
from tests.alerting.receiver import Answer
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.channels import SECRETS, TELEGRAM_TOKEN, WEBHOOK_SECRET, channel_configs
from tests.factories.targets import create_target, transition


async def test_every_kind_is_created_and_no_secret_ever_comes_back(gql, settings, receiver) -> None:
    account = await create_account(settings)
    for kind, config in channel_configs(receiver.url, account.user.email).items():
        result = await gql(CREATE, channel_input(account, kind.value, config), token=account.token)
        payload = result["data"]["createAlertChannel"]
        assert payload["errors"] == [], (kind, payload)
        assert payload["alertChannel"]["kind"] == kind.value
        text = str(result)
        assert not any(secret in text for secret in SECRETS), kind
    listed = await gql(CHANNELS, {"id": account.workspace_gid}, token=account.token)
    channels = listed["data"]["node"]["alertChannels"]
    assert len(channels) == len(ChannelKind)
    assert not any(secret in str(listed) for secret in SECRETS)
    sms = next(c for c in channels if c["kind"] == "SMS")
    assert sms["config"]["to"] == "+15552223333" and sms["config"]["authToken"] == "********"
    # and at rest, secrets are only in the encrypted column
    for row in await AlertChannel.all():
        assert not any(secret in str(row.config) for secret in SECRETS)
        assert not any(secret in (row.secrets_encrypted or "") for secret in SECRETS)


async def test_bad_input_names_the_field(gql, settings, receiver) -> None:
    account = await create_account(settings)
    receiver.script("/telegram/", Answer(400, body={"ok": False, "description": "chat not found"}))
    cases = [
        (
            "WEBHOOK",
            {"url": "ftp://example.test/x", "secret": WEBHOOK_SECRET},
            "config.url",
            "INVALID",
        ),
        ("WEBHOOK", {"url": f"{receiver.url}/hook"}, "config.secret", "INVALID"),
        ("SLACK", {"webhookUrl": "not a url"}, "config.webhookUrl", "INVALID"),
        (
            "TELEGRAM",
            {"botToken": TELEGRAM_TOKEN, "chatId": "not-a-chat"},
            "config.chatId",
            "INVALID",
        ),
        ("TELEGRAM", {"botToken": TELEGRAM_TOKEN, "chatId": "-1009"}, "config.chatId", "INVALID"),
        ("TELEGRAM", {"botToken": "nope", "chatId": "-1009"}, "config.botToken", "INVALID"),
        ("PAGERDUTY", {"routingKey": "short"}, "config.routingKey", "INVALID"),
        ("OPSGENIE", {}, "config.apiKey", "INVALID"),
        (
            "SMS",
            {
                "accountSid": "AC" + "0" * 32,
                "authToken": "f" * 32,
                "from": "+15550001111",
                "to": "12345",
            },
            "config.to",
            "INVALID",
        ),
        (
            "PUSHOVER",
            {"appToken": "x" * 30, "userKey": "y" * 30, "sound": "siren"},
            "config.sound",
            "INVALID",
        ),
        ("EMAIL", {"address": "not-an-address"}, "config.address", "INVALID"),
    ]
    for kind, config, field, code in cases:
        result = await gql(CREATE, channel_input(account, kind, config), token=account.token)
        payload = result["data"]["createAlertChannel"]
        assert payload["alertChannel"] is None, (kind, config)
        assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code), (
            payload
        )
    empty = await gql(
        CREATE,
        channel_input(account, "NTFY", {"topicUrl": f"{receiver.url}/t"}, name=" "),
        token=account.token,
    )
    assert empty["data"]["createAlertChannel"]["errors"][0]["field"] == "name"
    assert await AlertChannel.all().count() == 0


async def test_update_keeps_omitted_secrets(
    gql, settings, resources, receiver, run_core_jobs
) -> None:
    import hashlib
    import hmac

    account = await create_account(settings)
    created = await gql(
        CREATE,
        channel_input(account, "WEBHOOK", {"url": f"{receiver.url}/old", "secret": WEBHOOK_SECRET}),
        token=account.token,
    )
    gid = created["data"]["createAlertChannel"]["alertChannel"]["id"]
    updated = await gql(
        UPDATE,
        {"id": gid, "input": {"name": "renamed", "config": {"url": f"{receiver.url}/new"}}},
        token=account.token,
    )
    assert updated["data"]["updateAlertChannel"]["alertChannel"]["name"] == "renamed"
    result = await gql(TEST, {"id": gid}, token=account.token)
    assert result["data"]["sendTestNotification"]["notification"]["status"] == "PENDING"
    await run_core_jobs()
    (hook,) = receiver.at("/new")
    ts = hook.headers["x-hitflow-timestamp"]
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.".encode() + hook.body, hashlib.sha256)
    assert hook.headers["x-hitflow-signature"] == f"sha256={mac.hexdigest()}"
    assert hook.json()["event"] == "TEST"
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.SENT


async def test_email_to_an_outsider_waits_for_confirmation(
    gql, settings, resources, receiver, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings)
    result = await gql(
        CREATE,
        channel_input(account, "EMAIL", {"address": "oncall@partner.test"}),
        token=account.token,
    )
    channel = result["data"]["createAlertChannel"]["alertChannel"]
    assert channel["verified"] is False
    await run_core_jobs()
    (mail,) = mailbox.to("oncall@partner.test")
    token = re.search(r"token=(hf_mail_[\w-]+)", mail.get_content()).group(1)

    # No alert reaches it before the confirmation
    test = await gql(TEST, {"id": channel["id"]}, token=account.token)
    assert test["data"]["sendTestNotification"]["errors"][0]["code"] == "NOT_VERIFIED"
    row = await AlertChannel.get(id=decode(channel["id"], "AlertChannel"))
    target = await create_target(account.workspace, channels=[row], status=TargetStatus.UP)
    await transition(target, TargetStatus.DOWN, cause="timeout")
    await process_transitions(resources)
    assert await Notification.all().count() == 0

    confirmed = await gql(CONFIRM, {"token": token})  # the recipient need not have an account
    assert confirmed["data"]["confirmAlertChannel"] == {"alertChannel": None, "errors": []}
    await row.refresh_from_db()
    assert row.verified
    again = await gql(CONFIRM, {"token": token})
    assert again["data"]["confirmAlertChannel"]["errors"][0]["code"] == "INVALID"


async def test_channel_tenancy_and_scopes(gql, settings, receiver) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    config = {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET}
    created = await gql(CREATE, channel_input(owner, "WEBHOOK", config), token=owner.token)
    gid = created["data"]["createAlertChannel"]["alertChannel"]["id"]

    # stranger: creating in, reading, changing, deleting or testing someone else's channel
    foreign = await gql(CREATE, channel_input(owner, "WEBHOOK", config), token=stranger.token)
    assert foreign["data"]["createAlertChannel"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await gql(CHANNELS, {"id": owner.workspace_gid}, token=stranger.token))["data"][
        "node"
    ] is None
    assert (
        await gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid}, token=stranger.token)
    )["data"]["node"] is None
    for doc, variables, name in (
        (UPDATE, {"id": gid, "input": {"name": "x"}}, "updateAlertChannel"),
        (DELETE, {"id": gid}, "deleteAlertChannel"),
        (TEST, {"id": gid}, "sendTestNotification"),
    ):
        result = await gql(doc, variables, token=stranger.token)
        assert result["data"][name]["errors"][0]["code"] == "NOT_FOUND", name
        # the error names the argument that holds the id
        argument = "channelId" if name == "sendTestNotification" else "id"
        assert result["data"][name]["errors"][0]["field"] == argument, name
        anon = await gql(doc, variables)
        assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
        viewing = await gql(doc, variables, token=viewer.token)
        assert viewing["errors"][0]["extensions"]["code"] == "FORBIDDEN", name

    # a viewer reads, but a token without alerts:read does not
    seen = await gql(CHANNELS, {"id": owner.workspace_gid}, token=viewer.token)
    assert [c["id"] for c in seen["data"]["node"]["alertChannels"]] == [gid]
    reader = await create_pat(owner.user, ["targets:read"])
    denied = await gql(CHANNELS, {"id": owner.workspace_gid}, token=reader)
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "alerts:read"}
    writer_less = await create_pat(owner.user, ["alerts:read"])
    denied = await gql(CREATE, channel_input(owner, "WEBHOOK", config), token=writer_less)
    assert denied["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "alerts:write"}
    anon = await gql(CREATE, channel_input(owner, "WEBHOOK", config))
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    deleted = await gql(DELETE, {"id": gid}, token=owner.token)
    assert deleted["data"]["deleteAlertChannel"]["deletedId"] == gid
    assert await AlertChannel.all().count() == 0
