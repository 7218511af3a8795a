"""A channel's configuration reads back as far as it is not secret: where a webhook goes
(scheme and host), never its path or token; sending the masked value back keeps it."""

from __future__ import annotations

from tests.alerting.channel_documents import CREATE, UPDATE, channel_input
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET


async def test_webhook_host_reads_back_and_the_masked_url_keeps_the_secret(
    gql, settings, receiver
) -> None:
    account = await create_account(settings)
    url = f"{receiver.url}/hook/secret-path-123"
    created = await gql(
        CREATE,
        channel_input(account, "WEBHOOK", {"url": url, "secret": WEBHOOK_SECRET}),
        token=account.token,
    )
    channel = created["data"]["createAlertChannel"]["alertChannel"]
    shown = channel["config"]
    assert shown["url"] == f"{receiver.url}/********"
    assert shown["secret"] == "********"
    assert "secret-path-123" not in str(created)

    # The form sends back what it was shown: nothing changes, the secret is kept.
    updated = await gql(
        UPDATE, {"id": channel["id"], "input": {"config": shown}}, token=account.token
    )
    assert updated["data"]["updateAlertChannel"]["errors"] == []
    assert updated["data"]["updateAlertChannel"]["alertChannel"]["config"] == shown
