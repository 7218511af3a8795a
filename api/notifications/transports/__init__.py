"""Alert transports: one module per provider (the contract is in `base`), and
TRANSPORTS, the one place that says which module delivers each channel kind."""

from __future__ import annotations

from collections.abc import Mapping

from api.notifications.models import ChannelKind
from api.notifications.transports import (
    discord,
    email,
    ntfy,
    opsgenie,
    pagerduty,
    pushover,
    slack,
    sms,
    teams,
    telegram,
    webhook,
)
from api.notifications.transports.base import Transport

TRANSPORTS: Mapping[ChannelKind, Transport] = {
    ChannelKind.EMAIL: email,
    ChannelKind.WEBHOOK: webhook,
    ChannelKind.SLACK: slack,
    ChannelKind.DISCORD: discord,
    ChannelKind.TELEGRAM: telegram,
    ChannelKind.TEAMS: teams,
    ChannelKind.PAGERDUTY: pagerduty,
    ChannelKind.OPSGENIE: opsgenie,
    ChannelKind.SMS: sms,
    ChannelKind.NTFY: ntfy,
    ChannelKind.PUSHOVER: pushover,
}
