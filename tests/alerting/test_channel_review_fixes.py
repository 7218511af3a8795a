"""Review fixes: a kept secret never follows a channel to a new host; the confirmation
limit leaves no unverified channel behind; confirmAlertChannel shows the channel only
to a caller with alerts:read."""

from __future__ import annotations

import re

from api.notifications.models import AlertChannel
from tests.alerting.factories import NTFY_TOKEN, WEBHOOK_SECRET
from tests.alerting.test_channels_api import CONFIRM, CREATE, UPDATE, _input
from tests.factories import create_account, create_pat


async def test_a_kept_secret_is_asked_again_when_the_host_changes(gql, settings, receiver) -> None:
    account = await create_account(settings)
    config = {"topicUrl": f"{receiver.url}/ntfy/topic", "token": NTFY_TOKEN}
    created = await gql(CREATE, _input(account, "NTFY", config), token=account.token)
    gid = created["data"]["createAlertChannel"]["alertChannel"]["id"]

    # Same host, another topic: the masked token is kept
    same = {"topicUrl": f"{receiver.url}/ntfy/other", "token": "********"}
    kept = await gql(UPDATE, {"id": gid, "input": {"config": same}}, token=account.token)
    assert kept["data"]["updateAlertChannel"]["errors"] == []

    # Another host with the token masked (or left out): the token must be given again
    elsewhere = f"http://localhost:{receiver.port}/ntfy/topic"
    for config in ({"topicUrl": elsewhere, "token": "********"}, {"topicUrl": elsewhere}):
        moved = await gql(UPDATE, {"id": gid, "input": {"config": config}}, token=account.token)
        errors = moved["data"]["updateAlertChannel"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("config.token", "INVALID")]
    # ...and giving it works
    given = {"topicUrl": elsewhere, "token": "tk_anothertoken"}
    ok = await gql(UPDATE, {"id": gid, "input": {"config": given}}, token=account.token)
    assert ok["data"]["updateAlertChannel"]["errors"] == []

    # A webhook's signing secret does not follow its URL to another host either
    hook = {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET}
    created = await gql(CREATE, _input(account, "WEBHOOK", hook, "hook"), token=account.token)
    hid = created["data"]["createAlertChannel"]["alertChannel"]["id"]
    moved_hook = {"url": f"http://localhost:{receiver.port}/hook", "secret": "********"}
    moved = await gql(UPDATE, {"id": hid, "input": {"config": moved_hook}}, token=account.token)
    errors = moved["data"]["updateAlertChannel"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("config.secret", "INVALID")]


async def test_the_confirmation_limit_stores_no_channel(gql, settings, receiver) -> None:
    from api.notifications.service import MAX_CONFIRMATIONS_PER_HOUR

    account = await create_account(settings)
    for n in range(MAX_CONFIRMATIONS_PER_HOUR):
        config = {"address": f"oncall{n}@partner.test"}
        ok = await gql(CREATE, _input(account, "EMAIL", config, f"c{n}"), token=account.token)
        assert ok["data"]["createAlertChannel"]["errors"] == []
    over = await gql(
        CREATE, _input(account, "EMAIL", {"address": "one-more@partner.test"}), token=account.token
    )
    assert over["data"]["createAlertChannel"]["errors"][0]["code"] == "LIMIT_REACHED"
    assert await AlertChannel.filter(workspace_id=account.workspace.id).count() == (
        MAX_CONFIRMATIONS_PER_HOUR
    )
    # Re-addressing an existing channel over the limit changes nothing either
    row = await AlertChannel.filter(workspace_id=account.workspace.id).first()
    from api.graphql.ids import encode

    moved = await gql(
        UPDATE,
        {"id": encode("AlertChannel", row.id), "input": {"config": {"address": "x@partner.test"}}},
        token=account.token,
    )
    assert moved["data"]["updateAlertChannel"]["errors"][0]["code"] == "LIMIT_REACHED"
    await row.refresh_from_db()
    assert row.config["address"] == "oncall0@partner.test"


async def test_confirming_shows_the_channel_only_with_alerts_read(
    gql, settings, receiver, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings)
    for n, address in enumerate(("a@partner.test", "b@partner.test")):
        await gql(
            CREATE, _input(account, "EMAIL", {"address": address}, f"c{n}"), token=account.token
        )
    await run_core_jobs()

    def token_for(address: str) -> str:
        (mail,) = mailbox.to(address)
        return re.search(r"token=(hf_mail_[\w-]+)", mail.get_content()).group(1)

    narrow = await create_pat(account.user, ["targets:read"])
    hidden = await gql(CONFIRM, {"token": token_for("a@partner.test")}, token=narrow)
    assert hidden["data"]["confirmAlertChannel"] == {"alertChannel": None, "errors": []}
    reader = await create_pat(account.user, ["alerts:read"])
    shown = await gql(CONFIRM, {"token": token_for("b@partner.test")}, token=reader)
    assert shown["data"]["confirmAlertChannel"]["alertChannel"]["verified"] is True
