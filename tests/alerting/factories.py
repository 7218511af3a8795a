"""Factories for alerting tests: targets through the ORM, channels, transitions."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from api.auth.principal import ALL_SCOPES, Principal
from api.core import clock
from api.graphql.ids import encode
from api.notifications import service
from api.notifications.models import AlertChannel, ChannelKind
from api.resources import Resources
from api.targets.models import StateTransition, Target, TargetKind, TargetStatus
from api.workspaces.models import Role

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


def owner_principal(account: Any) -> Principal:
    return Principal(
        kind="session",
        user_id=account.user.id,
        scopes=frozenset(ALL_SCOPES),
        memberships={account.workspace.id: Role.OWNER},
    )


def channel_configs(base: str, email: str) -> dict[ChannelKind, dict[str, Any]]:
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
    resources: Resources, account: Any, kind: ChannelKind, config: dict[str, Any], name: str = ""
) -> AlertChannel:
    return await service.create_channel(
        resources,
        owner_principal(account),
        workspace_id=account.workspace.id,
        name=name or f"{kind.value.lower()} {next(_seq)}",
        kind=kind,
        config=config,
    )


async def create_target(
    workspace: Any,
    *,
    name: str = "Shop front",
    channels: list[AlertChannel] | None = None,
    policy: dict[str, Any] | None = None,
    status: TargetStatus = TargetStatus.UP,
) -> Target:
    alert_policy = policy
    if channels is not None:
        alert_policy = {
            "channelIds": [c.id for c in channels],
            "notifyOn": ["DOWN", "UP", "DEGRADED"],
            "retries": 1,
            **(policy or {}),
        }
    return await Target.create(
        workspace=workspace,
        name=name,
        kind=TargetKind.HTTP,
        config={"url": "https://shop.example.test/"},
        regions=["eu-west", "us-east"],
        alert_policy=alert_policy,
        status=status,
    )


async def transition(
    target: Target,
    to: TargetStatus,
    *,
    cause: str | None = None,
    regions: list[str] | None = None,
    at: datetime | None = None,
    from_status: TargetStatus | None = None,
) -> StateTransition:
    previous = from_status or target.status
    target.status = to
    await Target.filter(id=target.id).update(status=to)
    return await StateTransition.create(
        target=target,
        from_status=previous,
        to_status=to,
        at=at or clock.now(),
        regions=regions if regions is not None else ["eu-west", "us-east"],
        cause=cause,
    )


def target_link(settings: Any, target: Target) -> str:
    return f"{settings.effective_app_url}/targets/{encode('Target', target.id)}"
