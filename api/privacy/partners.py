"""The subprocessors (partners) and the privacy policy in force, from settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from api.core.regions import REGIONS
from api.settings import Settings


@dataclass(frozen=True)
class PartnerInfo:
    name: str
    purpose: str
    location: str


DEFAULT_PARTNERS: tuple[PartnerInfo, ...] = (
    PartnerInfo(
        "Scaleway", "Hosting of the main database, the API and the core workers", "France (EU)"
    ),
    PartnerInfo(
        "Stripe", "Card payments: Hitflow never sees card data", "Ireland (EU) / United States"
    ),
    PartnerInfo(
        "PayPal", "PayPal payments: Hitflow never sees account credentials", "Luxembourg (EU)"
    ),
    PartnerInfo("Twilio", "SMS alerts, when an SMS channel is configured", "United States"),
    PartnerInfo(
        "Slack, Discord, Microsoft Teams, Telegram",
        "Chat alerts, when configured",
        "United States / EU",
    ),
    PartnerInfo(
        "PagerDuty, Opsgenie, Pushover, ntfy",
        "On-call alerts, when configured",
        "United States / EU",
    ),
)


def partners(settings: Settings) -> list[PartnerInfo]:
    """The configured list (HITFLOW_PARTNERS_JSON: [{name, purpose, location}]), or the
    default list plus one probe host per configured region."""
    if settings.partners_json:
        items = json.loads(settings.partners_json)
        return [PartnerInfo(str(i["name"]), str(i["purpose"]), str(i["location"])) for i in items]
    probes = [
        PartnerInfo(
            f"Probe host ({REGIONS[code].name})",
            "Runs checks from this region; receives what a check needs to connect",
            REGIONS[code].continent,
        )
        for code in settings.regions
    ]
    return [*DEFAULT_PARTNERS, *probes]


def policy_effective_at(settings: Settings) -> datetime:
    return datetime.fromisoformat(settings.privacy_policy_effective_at)
