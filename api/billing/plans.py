"""The plans and their limits: the one place that knows them.

Prices are not here: they live at the payment provider, and the provider's price / plan
id for each plan and currency comes from settings (HITFLOW_STRIPE_PRICES,
HITFLOW_PAYPAL_PLANS), so an operator changes them without a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from api.core.errors import Invalid


class Plan(StrEnum):
    FREE = "FREE"
    PRO = "PRO"
    BUSINESS = "BUSINESS"
    # A self-hosted instance with no payment provider, or an operator's grant.
    UNLIMITED = "UNLIMITED"


class Limit(StrEnum):
    """What a plan limits; the names appear in PLAN_LIMIT errors."""

    TARGETS = "targets"
    MIN_INTERVAL_SECONDS = "minIntervalSeconds"
    REGIONS_PER_TARGET = "regionsPerTarget"
    CHANNELS = "channels"
    MEMBERS = "members"
    STATUS_PAGES = "statusPages"
    RAW_RETENTION_DAYS = "rawRetentionDays"
    API_REQUESTS_PER_MINUTE = "apiRequestsPerMinute"


@dataclass(frozen=True)
class Limits:
    """None = no limit. `targets` counts active (not paused) targets; `members` counts
    members plus pending invitations."""

    targets: int | None
    min_interval_seconds: int
    regions_per_target: int | None
    channels: int | None
    members: int | None
    status_pages: int | None
    raw_retention_days: int
    api_requests_per_minute: int | None


PLANS: dict[Plan, Limits] = {
    Plan.FREE: Limits(
        targets=10,
        min_interval_seconds=300,
        regions_per_target=3,
        channels=3,
        members=3,
        status_pages=1,
        raw_retention_days=30,
        api_requests_per_minute=60,
    ),
    Plan.PRO: Limits(
        targets=50,
        min_interval_seconds=60,
        regions_per_target=6,
        channels=20,
        members=10,
        status_pages=5,
        raw_retention_days=90,
        api_requests_per_minute=600,
    ),
    Plan.BUSINESS: Limits(
        targets=500,
        min_interval_seconds=30,
        regions_per_target=None,
        channels=100,
        members=50,
        status_pages=20,
        raw_retention_days=365,
        api_requests_per_minute=3000,
    ),
    Plan.UNLIMITED: Limits(
        targets=None,
        min_interval_seconds=0,  # HITFLOW_MIN_INTERVAL_SECONDS still applies
        regions_per_target=None,
        channels=None,
        members=None,
        status_pages=None,
        raw_retention_days=365,
        api_requests_per_minute=None,
    ),
}

# What a customer can buy through a provider.
PURCHASABLE = (Plan.PRO, Plan.BUSINESS)
CURRENCIES = ("EUR", "USD")
# Higher is more: a change to a lower plan is a downgrade.
RANK = {Plan.FREE: 0, Plan.PRO: 1, Plan.BUSINESS: 2, Plan.UNLIMITED: 3}


def parse_plan(value: str, *, field: str = "plan") -> Plan:
    try:
        return Plan(value.strip().upper())
    except ValueError:
        known = ", ".join(p.value for p in Plan)
        raise Invalid(f"Unknown plan {value!r}; known: {known}.", field=field) from None


def limits_of(plan: Plan) -> Limits:
    return PLANS[plan]


def limit_value(limits: Limits, limit: Limit) -> int | None:
    return {
        Limit.TARGETS: limits.targets,
        Limit.MIN_INTERVAL_SECONDS: limits.min_interval_seconds,
        Limit.REGIONS_PER_TARGET: limits.regions_per_target,
        Limit.CHANNELS: limits.channels,
        Limit.MEMBERS: limits.members,
        Limit.STATUS_PAGES: limits.status_pages,
        Limit.RAW_RETENTION_DAYS: limits.raw_retention_days,
        Limit.API_REQUESTS_PER_MINUTE: limits.api_requests_per_minute,
    }[limit]


def provider_price(ids: dict[str, dict[str, str]], plan: Plan, currency: str) -> str | None:
    """The provider's price / plan id for a plan in a currency (from settings), if any."""
    return ids.get(plan.value, {}).get(currency.upper())


def plan_of_price(ids: dict[str, dict[str, str]], price_id: str) -> tuple[Plan, str] | None:
    """The plan and currency a provider's price / plan id sells (reverse of provider_price)."""
    for plan, by_currency in ids.items():
        for currency, pid in by_currency.items():
            if pid == price_id and plan in Plan.__members__:
                return Plan(plan), currency
    return None
