"""PayPal Subscriptions through its REST API (httpx): approval link, cancellation, and
webhooks verified by PayPal's verify-webhook-signature API with our webhook id.

HITFLOW_PAYPAL_API_BASE is the sandbox or live base URL (tests point it at a local server
speaking the same endpoints). The OAuth client-credentials token is cached until shortly
before it expires.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from api.billing.models import SubscriptionStatus
from api.billing.plans import Plan, plan_of_price
from api.billing.providers.base import (
    Checkout,
    EventKind,
    InvalidWebhook,
    Invoice,
    Provider,
    ProviderError,
    ProviderEvent,
)
from api.core import clock
from api.core.errors import Invalid
from api.resources import Resources
from api.settings import Settings

TOLERANCE_SECONDS = 300  # a transmission older than this is refused (replay)
TIMEOUT = httpx.Timeout(15.0)
HEADERS = (
    "paypal-auth-algo",
    "paypal-cert-url",
    "paypal-transmission-id",
    "paypal-transmission-sig",
    "paypal-transmission-time",
)
_STATUS = {
    "ACTIVE": SubscriptionStatus.ACTIVE,
    "SUSPENDED": SubscriptionStatus.PAST_DUE,
    "CANCELLED": SubscriptionStatus.CANCELED,
    "EXPIRED": SubscriptionStatus.CANCELED,
}
# (api base, client id) -> (token, monotonic expiry). Only a cache: any replica refetches.
_tokens: dict[tuple[str, str], tuple[str, float]] = {}


async def _token(settings: Settings, http: httpx.AsyncClient) -> str:
    if not settings.paypal_client_id or settings.paypal_client_secret is None:
        raise Invalid("PayPal is not configured on this instance.", field="provider")
    key = (settings.paypal_api_base, settings.paypal_client_id)
    cached = _tokens.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    try:
        response = await http.post(
            f"{settings.paypal_api_base}/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(settings.paypal_client_id, settings.paypal_client_secret.get_secret_value()),
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise ProviderError(f"PayPal unreachable: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ProviderError(f"PayPal refused our credentials (HTTP {response.status_code}).")
    body = response.json()
    expires = float(body.get("expires_in", 300))
    _tokens[key] = (str(body["access_token"]), time.monotonic() + max(expires - 60, 0))
    return str(body["access_token"])


async def _call(
    settings: Settings, http: httpx.AsyncClient, method: str, path: str, body: Any = None
) -> httpx.Response:
    token = await _token(settings, http)
    try:
        return await http.request(
            method,
            f"{settings.paypal_api_base}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise ProviderError(f"PayPal unreachable: {type(exc).__name__}") from None


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
    response = await _call(
        resources.settings,
        resources.http,
        "POST",
        "/v1/billing/subscriptions",
        {
            "plan_id": price_id,
            "custom_id": str(workspace_id),
            "application_context": {
                "brand_name": "Hitflow",
                "shipping_preference": "NO_SHIPPING",
                "user_action": "SUBSCRIBE_NOW",
                "return_url": success_url,
                "cancel_url": cancel_url,
            },
        },
    )
    if response.status_code not in (200, 201):
        raise ProviderError(f"PayPal refused the subscription (HTTP {response.status_code}).")
    body = response.json()
    approve = next(
        (link["href"] for link in body.get("links", []) if link.get("rel") == "approve"), None
    )
    if not approve:
        raise ProviderError("PayPal returned no approval link.")
    return Checkout(redirect_url=str(approve), reference=str(body["id"]))


async def cancel_at_period_end(resources: Resources, *, subscription_id: str) -> None:
    """PayPal stops billing at once; the period already paid stays in force (service)."""
    await cancel_now(resources, subscription_id=subscription_id)


async def cancel_now(resources: Resources, *, subscription_id: str) -> None:
    response = await _call(
        resources.settings,
        resources.http,
        "POST",
        f"/v1/billing/subscriptions/{subscription_id}/cancel",
        {"reason": "Cancelled from Hitflow"},
    )
    # 422 SUBSCRIPTION_STATUS_INVALID: already cancelled - done.
    if response.status_code not in (200, 204, 422):
        raise ProviderError(f"PayPal refused the cancellation (HTTP {response.status_code}).")


async def change_plan(
    resources: Resources,
    *,
    subscription_id: str,
    price_id: str,
    return_url: str,
    cancel_url: str,
) -> str | None:
    """Revise the subscription's plan (POST /v1/billing/subscriptions/{id}/revise).

    A PayPal payer consents again on PayPal's page: the approval link is returned and
    nothing changes until BILLING.SUBSCRIPTION.UPDATED arrives, signed, with the new plan
    (if the payer never approves, the subscription goes on at the old plan). None when
    PayPal needs no consent (a card subscription)."""
    response = await _call(
        resources.settings,
        resources.http,
        "POST",
        f"/v1/billing/subscriptions/{subscription_id}/revise",
        {
            "plan_id": price_id,
            "application_context": {
                "brand_name": "Hitflow",
                "shipping_preference": "NO_SHIPPING",
                "return_url": return_url,
                "cancel_url": cancel_url,
            },
        },
    )
    if response.status_code != 200:
        raise ProviderError(
            f"PayPal refused the plan change (HTTP {response.status_code}{_issue(response)})."
        )
    links = response.json().get("links") or []
    approve = next((link.get("href") for link in links if link.get("rel") == "approve"), None)
    return str(approve) if approve else None


def _issue(response: httpx.Response) -> str:
    """PayPal's error name and first issue (e.g. UNPROCESSABLE_ENTITY /
    SUBSCRIPTION_STATUS_INVALID), never its free-text fields."""
    try:
        body = response.json()
        details = body.get("details") or [{}]
        names = [str(body.get("name") or ""), str(details[0].get("issue") or "")]
    except (ValueError, AttributeError, IndexError):
        return ""
    shown = [n for n in names if n.replace("_", "").isalnum() and n.isupper()]
    return f": {' / '.join(shown)}" if shown else ""


# --- webhooks ----------------------------------------------------------------------------


async def parse_webhook(
    resources: Resources, payload: bytes, headers: dict[str, str]
) -> ProviderEvent:
    """Check freshness, then ask PayPal to verify the signature; keep the fields we use."""
    settings, http = resources.settings, resources.http
    if not settings.paypal_webhook_id or any(not headers.get(h) for h in HEADERS):
        raise InvalidWebhook("missing signature headers")
    try:
        sent = datetime.fromisoformat(headers["paypal-transmission-time"].replace("Z", "+00:00"))
        event = json.loads(payload)
    except ValueError:
        raise InvalidWebhook("malformed") from None
    if sent.tzinfo is None or not isinstance(event, dict):
        raise InvalidWebhook("malformed")
    if abs((clock.now() - sent).total_seconds()) > TOLERANCE_SECONDS:
        raise InvalidWebhook("stale transmission")
    response = await _call(
        settings,
        http,
        "POST",
        "/v1/notifications/verify-webhook-signature",
        {
            "auth_algo": headers["paypal-auth-algo"],
            "cert_url": headers["paypal-cert-url"],
            "transmission_id": headers["paypal-transmission-id"],
            "transmission_sig": headers["paypal-transmission-sig"],
            "transmission_time": headers["paypal-transmission-time"],
            "webhook_id": settings.paypal_webhook_id,
            "webhook_event": event,
        },
    )
    if response.status_code >= 500:
        raise ProviderError(f"PayPal could not verify (HTTP {response.status_code}).")
    if response.status_code != 200 or response.json().get("verification_status") != "SUCCESS":
        raise InvalidWebhook("signature not verified")
    try:
        return _reduce(settings, event)
    except (KeyError, TypeError, ValueError, InvalidOperation, Invalid):
        raise InvalidWebhook("malformed event") from None


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ws(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _reduce(settings: Settings, event: dict[str, Any]) -> ProviderEvent:
    kind = str(event["event_type"])
    resource: dict[str, Any] = event["resource"]
    created = _time(resource.get("update_time")) or _time(event["create_time"])
    base: dict[str, Any] = {
        "provider": Provider.PAYPAL,
        "event_id": str(event["id"]),
        "event_type": kind,
        "created": created,
    }
    if kind.startswith("BILLING.SUBSCRIPTION.") and kind != "BILLING.SUBSCRIPTION.PAYMENT.FAILED":
        status = _STATUS.get(str(resource.get("status")))
        if status is None:  # APPROVAL_PENDING, APPROVED: nothing paid yet
            return ProviderEvent(kind=EventKind.IGNORED, **base)
        found = plan_of_price(settings.paypal_plans, str(resource.get("plan_id")))
        if found is None:
            return ProviderEvent(kind=EventKind.IGNORED, **base)
        billing = resource.get("billing_info") or {}
        return ProviderEvent(
            kind=EventKind.SUBSCRIPTION,
            workspace_id=_ws(resource.get("custom_id")),
            subscription_id=str(resource["id"]),
            customer_id=(resource.get("subscriber") or {}).get("payer_id"),
            status=status,
            paid_plan=found[0],
            currency=found[1],
            current_period_end=_time(billing.get("next_billing_time")),
            cancel_at_period_end=status == SubscriptionStatus.CANCELED,
            **base,
        )
    if kind in (
        "PAYMENT.SALE.COMPLETED",
        "PAYMENT.SALE.DENIED",
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
    ):
        paid = kind == "PAYMENT.SALE.COMPLETED"
        subscription_id = resource.get("billing_agreement_id") or (
            resource.get("id") if kind == "BILLING.SUBSCRIPTION.PAYMENT.FAILED" else None
        )
        if not subscription_id:
            return ProviderEvent(kind=EventKind.IGNORED, **base)
        amount = resource.get("amount") or {}
        invoice = None
        if paid or amount:
            invoice = Invoice(
                invoice_id=str(resource["id"]),
                amount=Decimal(str(amount.get("total", "0"))),
                currency=str(amount.get("currency", "EUR")).upper(),
                receipt_url=None,
                status="PAID" if paid else "FAILED",
            )
        return ProviderEvent(
            kind=EventKind.INVOICE_PAID if paid else EventKind.PAYMENT_FAILED,
            workspace_id=_ws(resource.get("custom")),
            subscription_id=str(subscription_id),
            invoice=invoice,
            **base,
        )
    return ProviderEvent(kind=EventKind.IGNORED, **base)
