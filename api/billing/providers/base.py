"""What a provider hands back to the billing service: facts, never card data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from api.billing.models import SubscriptionStatus
from api.billing.plans import Plan


class Provider(StrEnum):
    STRIPE = "STRIPE"
    PAYPAL = "PAYPAL"


class InvalidWebhook(Exception):
    """Unsigned, badly signed, stale or malformed: answered 400, nothing changes."""


class ProviderError(Exception):
    """The provider refused or could not be reached (the message names no secret)."""


class EventKind(StrEnum):
    SUBSCRIPTION = "SUBSCRIPTION"  # the subscription's state as the provider sees it
    INVOICE_PAID = "INVOICE_PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    IGNORED = "IGNORED"  # a verified event we do not act on


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    amount: Decimal
    currency: str
    receipt_url: str | None
    status: str = "PAID"


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook, reduced to the fields we use (the payload is never stored)."""

    provider: Provider
    event_id: str
    event_type: str
    created: datetime
    kind: EventKind
    workspace_id: int | None = None
    subscription_id: str | None = None
    customer_id: str | None = None
    status: SubscriptionStatus | None = None
    paid_plan: Plan | None = None
    currency: str | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool | None = None
    invoice: Invoice | None = None


@dataclass(frozen=True)
class Checkout:
    redirect_url: str
    reference: str  # the provider's session / subscription id
