"""Webhook URLs go through the same SSRF guard as probes; secrets never reach the logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from api.incidents.service import process_transitions
from api.notifications.models import AlertChannel, ChannelKind, DeliveryStatus, Notification
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET
from tests.factories.targets import create_target, transition

CREATE = """mutation($input: AlertChannelInput!) {
  createAlertChannel(input: $input) { alertChannel { id } errors { field code message } }
}"""


@pytest.fixture
def alert_overrides() -> dict[str, Any]:
    return {"probe_allow_private_networks": False}


async def test_private_and_plain_http_webhooks_are_refused(gql, settings) -> None:
    account = await create_account(settings)
    cases = [
        ("WEBHOOK", {"url": "http://hooks.example.test/x", "secret": WEBHOOK_SECRET}, "INVALID"),
        ("WEBHOOK", {"url": "https://127.0.0.1/x", "secret": WEBHOOK_SECRET}, "UNSAFE_TARGET"),
        ("SLACK", {"webhookUrl": "https://10.1.2.3/services/x"}, "UNSAFE_TARGET"),
        ("DISCORD", {"webhookUrl": "https://169.254.169.254/latest"}, "UNSAFE_TARGET"),
        ("NTFY", {"topicUrl": "https://[::1]/topic"}, "UNSAFE_TARGET"),
    ]
    for kind, config, code in cases:
        result = await gql(
            CREATE,
            {
                "input": {
                    "workspaceId": account.workspace_gid,
                    "name": "x",
                    "kind": kind,
                    "config": config,
                }
            },
            token=account.token,
        )
        (error,) = result["data"]["createAlertChannel"]["errors"]
        assert error["code"] == code, (kind, config, error)
        assert error["field"].startswith("config.")
        url = next(iter(v for k, v in config.items() if k != "secret"))
        assert url not in error["message"] and "/x" not in error["message"]
    assert await AlertChannel.all().count() == 0


async def test_delivery_rechecks_the_address(resources, settings, run_core_jobs) -> None:
    # A channel stored while private networks were allowed (or whose name now resolves to a
    # private address) is refused at delivery time, without a request.
    account = await create_account(settings)
    channel = await AlertChannel.create(
        workspace=account.workspace,
        name="legacy",
        kind=ChannelKind.WEBHOOK,
        config={"url": "********", "secret": "********"},
        secrets_encrypted=resources.keyring.encrypt_json(
            {"url": "https://127.0.0.1:9/hook", "secret": WEBHOOK_SECRET}
        ),
    )
    target = await create_target(account.workspace, channels=[channel], status=TargetStatus.UP)
    await transition(target, TargetStatus.DOWN, cause="timeout")
    await process_transitions(resources)
    await run_core_jobs()
    (row,) = await Notification.all()
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1
    assert "may not reach" in row.last_error and "127.0.0.1" not in row.last_error


async def test_secrets_never_reach_the_logs(
    gql, settings, resources, receiver, run_core_jobs, caplog, capsys
) -> None:
    from tests.alerting.receiver import Answer
    from tests.factories.channels import SECRETS, channel_configs, create_channel

    caplog.set_level(logging.INFO)
    account = await create_account(settings)
    object.__setattr__(settings, "probe_allow_private_networks", True)  # reach the local receiver
    try:
        channels = [
            await create_channel(resources, account, kind, config)
            for kind, config in channel_configs(receiver.url, account.user.email).items()
        ]
        target = await create_target(account.workspace, channels=channels, status=TargetStatus.UP)
        # every provider first fails, echoing the request back (as some APIs do)
        for path in (
            "/hook",
            "/slack",
            "/discord",
            "/teams",
            "/telegram",
            "/pagerduty",
            "/opsgenie",
            "/twilio",
            "/ntfy",
            "/pushover",
        ):
            receiver.script(path, Answer(500, echo=True), Answer(400, echo=True))
        await transition(target, TargetStatus.DOWN, cause="timeout")
        await process_transitions(resources)
        await run_core_jobs()
    finally:
        object.__setattr__(settings, "probe_allow_private_networks", False)
    failed = await Notification.filter(status=DeliveryStatus.FAILED).count()
    assert failed == len(ChannelKind) - 1  # all but e-mail
    logs = caplog.text + capsys.readouterr().out + capsys.readouterr().err
    assert "alert_delivery_failed" in logs
    for secret in SECRETS:
        assert secret not in logs
    for row in await Notification.all():
        assert not any(secret in (row.last_error or "") for secret in SECRETS)
