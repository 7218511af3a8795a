"""Stripe through its official SDK: Checkout Sessions (subscription mode), the customer
portal, cancellation and change of price, and signed webhooks.

Base URL from HITFLOW_STRIPE_API_BASE (tests point it at a local server speaking the same
API). The secret key never leaves this module and is never logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe

from api.billing.models import SubscriptionStatus
from api.billing.plans import Plan, parse_plan, plan_of_price
from api.billing.providers.base import (
    Checkout,
    EventKind,
    InvalidWebhook,
    Invoice,
    Provider,
    ProviderError,
    ProviderEvent,
)
from api.core.errors import Invalid
from api.resources import Resources
from api.settings import Settings

TOLERANCE_SECONDS = 300  # a signed event older than this is refused (replay)

_STATUS = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete_expired": SubscriptionStatus.CANCELED,
}


def _client(settings: Settings) -> stripe.StripeClient:
    if settings.stripe_secret_key is None:
        raise Invalid("Stripe is not configured on this instance.", field="provider")
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses={"api": settings.stripe_api_base},
        max_network_retries=0,
        http_client=stripe.HTTPXClient(),
    )


async def start_checkout(
    resources: Resources,
    *,
    workspace_id: int,
    plan: Plan,
    currency: str,
    price_id: str,
    customer_id: str | None,
    success_url: str,
    cancel_url: str,
) -> Checkout:
    metadata = {"workspace_id": str(workspace_id), "plan": plan.value}
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(workspace_id),
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
    }
    if customer_id:
        params["customer"] = customer_id
    try:
        session = await _client(resources.settings).v1.checkout.sessions.create_async(
            params=params  # type: ignore[arg-type]  # a plain dict, the SDK's TypedDict shape
        )
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe refused the checkout: {exc.user_message or 'error'}") from None
    if not session.url:
        raise ProviderError("Stripe returned no checkout URL.")
    return Checkout(redirect_url=session.url, reference=session.id)


async def portal_url(resources: Resources, *, customer_id: str, return_url: str) -> str:
    try:
        session = await _client(resources.settings).v1.billing_portal.sessions.create_async(
            params={"customer": customer_id, "return_url": return_url}
        )
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe refused the portal: {exc.user_message or 'error'}") from None
    return str(session.url)


async def cancel_at_period_end(resources: Resources, *, subscription_id: str) -> None:
    try:
        await _client(resources.settings).v1.subscriptions.update_async(
            subscription_id, params={"cancel_at_period_end": True}
        )
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe refused the cancellation: {type(exc).__name__}") from None


async def cancel_now(resources: Resources, *, subscription_id: str) -> None:
    """Cancel at once (account deletion). An already canceled subscription is done."""
    try:
        await _client(resources.settings).v1.subscriptions.cancel_async(subscription_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404 or exc.code == "resource_missing":
            return
        raise ProviderError(f"Stripe refused the cancellation: {exc.code}") from None
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe refused the cancellation: {type(exc).__name__}") from None


async def change_plan(
    resources: Resources,
    *,
    subscription_id: str,
    price_id: str,
    return_url: str,
    cancel_url: str,
) -> str | None:
    """Swap the subscription's price; Stripe prorates, and its webhook grants the plan.
    No payer approval is needed (None; the URLs serve PayPal's approval)."""
    client = _client(resources.settings)
    try:
        sub = await client.v1.subscriptions.retrieve_async(subscription_id)
        item_id = sub["items"]["data"][0]["id"]
        await client.v1.subscriptions.update_async(
            subscription_id,
            params={
                "items": [{"id": item_id, "price": price_id}],
                "proration_behavior": "create_prorations",
                "cancel_at_period_end": False,
            },
        )
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe refused the change: {type(exc).__name__}") from None
    return None


# --- webhooks ----------------------------------------------------------------------------


def parse_webhook(settings: Settings, payload: bytes, signature: str | None) -> ProviderEvent:
    """Verify `Stripe-Signature` (HMAC, 5-minute tolerance) and keep the fields we use."""
    if settings.stripe_webhook_secret is None or not signature:
        raise InvalidWebhook("missing signature")
    try:
        event = stripe.Webhook.construct_event(
            payload.decode("utf-8"),
            signature,
            settings.stripe_webhook_secret.get_secret_value(),
            tolerance=TOLERANCE_SECONDS,
        )
    except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError):
        raise InvalidWebhook("bad signature or payload") from None
    try:
        return _reduce(settings, event.to_dict())
    except (KeyError, TypeError, ValueError, Invalid):
        raise InvalidWebhook("malformed event") from None


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _workspace_id(*metadatas: Any) -> int | None:
    for metadata in metadatas:
        if isinstance(metadata, dict) and str(metadata.get("workspace_id", "")).isdigit():
            return int(metadata["workspace_id"])
    return None


def _reduce(settings: Settings, event: dict[str, Any]) -> ProviderEvent:
    obj: dict[str, Any] = event["data"]["object"]
    kind = event["type"]
    base: dict[str, Any] = {
        "provider": Provider.STRIPE,
        "event_id": str(event["id"]),
        "event_type": str(kind),
        "created": _ts(event["created"]),
    }
    if kind == "checkout.session.completed":
        if obj.get("mode") != "subscription" or obj.get("payment_status") not in (
            "paid",
            "no_payment_required",
        ):
            return ProviderEvent(kind=EventKind.IGNORED, **base)
        reference = str(obj.get("client_reference_id") or "")
        metadata = obj.get("metadata") or {}
        return ProviderEvent(
            kind=EventKind.SUBSCRIPTION,
            workspace_id=int(reference) if reference.isdigit() else _workspace_id(metadata),
            subscription_id=obj.get("subscription"),
            customer_id=obj.get("customer"),
            status=SubscriptionStatus.ACTIVE,
            paid_plan=parse_plan(str(metadata.get("plan", ""))),
            currency=str(obj.get("currency") or "").upper() or None,
            **base,
        )
    if kind.startswith("customer.subscription."):
        items = (obj.get("items") or {}).get("data") or []
        item = items[0] if items else {}
        price = (item.get("price") or {}).get("id")
        found = plan_of_price(settings.stripe_prices, price) if price else None
        status = (
            SubscriptionStatus.CANCELED
            if kind == "customer.subscription.deleted"
            else _STATUS.get(str(obj.get("status")))
        )
        if status is None:  # incomplete, paused: nothing granted or taken yet
            return ProviderEvent(kind=EventKind.IGNORED, **base)
        metadata = obj.get("metadata") or {}
        return ProviderEvent(
            kind=EventKind.SUBSCRIPTION,
            workspace_id=_workspace_id(metadata),
            subscription_id=obj.get("id"),
            customer_id=obj.get("customer"),
            status=status,
            paid_plan=found[0] if found else parse_plan(str(metadata.get("plan", ""))),
            currency=found[1] if found else None,
            # Newer API versions keep the period on the item, older ones on the subscription.
            current_period_end=_ts(item.get("current_period_end") or obj.get("current_period_end")),
            cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
            **base,
        )
    if kind in ("invoice.paid", "invoice.payment_failed"):
        details = (obj.get("parent") or {}).get("subscription_details") or {}
        subscription_id = obj.get("subscription") or details.get("subscription")
        if not subscription_id:
            return ProviderEvent(kind=EventKind.IGNORED, **base)
        paid = kind == "invoice.paid"
        amount = obj.get("amount_paid" if paid else "amount_due") or 0
        return ProviderEvent(
            kind=EventKind.INVOICE_PAID if paid else EventKind.PAYMENT_FAILED,
            workspace_id=_workspace_id(details.get("metadata"), obj.get("metadata")),
            subscription_id=str(subscription_id),
            customer_id=obj.get("customer"),
            invoice=Invoice(
                invoice_id=str(obj["id"]),
                amount=Decimal(int(amount)) / 100,
                currency=str(obj.get("currency") or "eur").upper(),
                receipt_url=obj.get("hosted_invoice_url"),
                status="PAID" if paid else "FAILED",
            ),
            **base,
        )
    return ProviderEvent(kind=EventKind.IGNORED, **base)
