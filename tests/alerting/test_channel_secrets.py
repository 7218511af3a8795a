"""A kept channel secret (masked on update) never follows the channel to another host:
it must be given again."""

from __future__ import annotations

from tests.alerting.channel_documents import CREATE, UPDATE, channel_input
from tests.factories.accounts import create_account
from tests.factories.channels import NTFY_TOKEN, WEBHOOK_SECRET


async def test_a_kept_secret_is_asked_again_when_the_host_changes(gql, settings, receiver) -> None:
    account = await create_account(settings)
    config = {"topicUrl": f"{receiver.url}/ntfy/topic", "token": NTFY_TOKEN}
    created = await gql(CREATE, channel_input(account, "NTFY", config), token=account.token)
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
    created = await gql(
        CREATE, channel_input(account, "WEBHOOK", hook, "hook"), token=account.token
    )
    hid = created["data"]["createAlertChannel"]["alertChannel"]["id"]
    moved_hook = {"url": f"http://localhost:{receiver.port}/hook", "secret": "********"}
    moved = await gql(UPDATE, {"id": hid, "input": {"config": moved_hook}}, token=account.token)
    errors = moved["data"]["updateAlertChannel"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("config.secret", "INVALID")]
