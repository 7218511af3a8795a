"""Confirming e-mail channels: the hourly confirmation limit leaves no unconfirmed channel
behind, and confirmAlertChannel shows the channel only to a caller with alerts:read."""

from __future__ import annotations

import re

from api.notifications.models import AlertChannel
from tests.alerting.channel_documents import CONFIRM, CREATE, UPDATE, channel_input
from tests.factories.accounts import create_account, create_pat


async def test_the_confirmation_limit_stores_no_channel(gql, settings, receiver) -> None:
    from api.notifications.service import MAX_CONFIRMATIONS_PER_HOUR

    account = await create_account(settings)
    for n in range(MAX_CONFIRMATIONS_PER_HOUR):
        config = {"address": f"oncall{n}@partner.test"}
        ok = await gql(
            CREATE, channel_input(account, "EMAIL", config, f"c{n}"), token=account.token
        )
        assert ok["data"]["createAlertChannel"]["errors"] == []
    over = await gql(
        CREATE,
        channel_input(account, "EMAIL", {"address": "one-more@partner.test"}),
        token=account.token,
    )
    assert over["data"]["createAlertChannel"]["errors"][0]["code"] == "LIMIT_REACHED"
    assert await AlertChannel.filter(workspace_id=account.workspace.id).count() == (
        MAX_CONFIRMATIONS_PER_HOUR
    )
    # Re-addressing an existing channel over the limit changes nothing either
    row = await AlertChannel.filter(workspace_id=account.workspace.id).first()
    from api.core.ids import encode

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
            CREATE,
            channel_input(account, "EMAIL", {"address": address}, f"c{n}"),
            token=account.token,
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
