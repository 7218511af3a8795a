"""Alert channels (created through the service, as a workspace owner would) and one
configuration per channel kind, pointing at the local receiver."""

from __future__ import annotations

import itertools
from typing import Any

from api.notifications import service
from api.notifications.models import AlertChannel, ChannelKind
from api.resources import Resources
from tests.factories.accounts import Account, owner_principal

_seq = itertools.count(1)

WEBHOOK_SECRET = "whsec-0123456789abcdef"
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
PD_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"
OPSGENIE_KEY = "8c2f5e2a-1d3b-4c4d-9e8f-0a1b2c3d4e5f"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "fedcba9876543210" * 2
NTFY_TOKEN = "tk_ntfysecrettoken42"
PUSHOVER_APP = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
PUSHOVER_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"


def channel_configs(base: str, email: str) -> dict[ChannelKind, dict[str, Any]]:
    """A valid config for every kind, its providers served at `base` (the local receiver)."""
    return {
        ChannelKind.EMAIL: {"address": email},
        ChannelKind.WEBHOOK: {"url": f"{base}/hook/in", "secret": WEBHOOK_SECRET},
        ChannelKind.SLACK: {"webhookUrl": f"{base}/slack/services/T0/B0/slacksecretpath"},
        ChannelKind.DISCORD: {"webhookUrl": f"{base}/discord/api/webhooks/1/discordsecret"},
        ChannelKind.TEAMS: {"webhookUrl": f"{base}/teams/webhookb2/teamssecret"},
        ChannelKind.TELEGRAM: {"botToken": TELEGRAM_TOKEN, "chatId": "-1001234567890"},
        ChannelKind.PAGERDUTY: {"routingKey": PD_KEY},
        ChannelKind.OPSGENIE: {"apiKey": OPSGENIE_KEY},
        ChannelKind.SMS: {
            "accountSid": TWILIO_SID,
            "authToken": TWILIO_TOKEN,
            "from": "+15550001111",
            "to": "+15552223333",
        },
        ChannelKind.NTFY: {"topicUrl": f"{base}/ntfy/hitflow-secret-topic", "token": NTFY_TOKEN},
        ChannelKind.PUSHOVER: {"appToken": PUSHOVER_APP, "userKey": PUSHOVER_USER},
    }


# Every secret of `channel_configs`: none may ever come back in an answer, a log or an error.
SECRETS = [
    WEBHOOK_SECRET,
    TELEGRAM_TOKEN,
    PD_KEY,
    OPSGENIE_KEY,
    TWILIO_TOKEN,
    NTFY_TOKEN,
    PUSHOVER_APP,
    PUSHOVER_USER,
    "slacksecretpath",
    "discordsecret",
    "teamssecret",
    "hitflow-secret-topic",
]


async def create_channel(
    resources: Resources,
    account: Account,
    kind: ChannelKind,
    config: dict[str, Any],
    name: str = "",
) -> AlertChannel:
    """A channel of the account's workspace, validated and stored by the service."""
    return await service.create_channel(
        resources,
        owner_principal(account),
        workspace_id=account.workspace.id,
        name=name or f"{kind.value.lower()} {next(_seq)}",
        kind=kind,
        config=config,
    )
