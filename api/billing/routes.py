"""Payment-provider webhooks: POST /billing/stripe/webhook and /billing/paypal/webhook.

A request that does not verify (unsigned, forged, replayed past the tolerance, malformed)
is answered 400 and changes nothing. A verified event is applied once (its id is stored);
a redelivery or an event older than what we hold is answered 200 without effect, so the
provider stops retrying it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from api.billing import service
from api.billing.providers import paypal, stripe
from api.billing.providers.base import InvalidWebhook, ProviderError
from api.core.logging import get_logger
from api.resources import Resources

log = get_logger(__name__)


def routes(resources: Resources) -> list[BaseRoute]:
    async def stripe_webhook(request: Request) -> JSONResponse:
        if not resources.settings.stripe_enabled:
            return JSONResponse({"error": "Stripe is not configured."}, status_code=404)
        payload = await request.body()
        try:
            event = stripe.parse_webhook(
                resources.settings, payload, request.headers.get("stripe-signature")
            )
        except InvalidWebhook as exc:
            log.warning("billing_webhook_refused", provider="STRIPE", reason=str(exc))
            return JSONResponse({"error": "invalid webhook"}, status_code=400)
        outcome = await service.handle_event(resources, event)
        return JSONResponse({"received": True, "outcome": outcome.split(":", 1)[0]})

    async def paypal_webhook(request: Request) -> JSONResponse:
        if not resources.settings.paypal_enabled:
            return JSONResponse({"error": "PayPal is not configured."}, status_code=404)
        payload = await request.body()
        headers = {name: request.headers.get(name, "") for name in paypal.HEADERS}
        try:
            event = await paypal.parse_webhook(resources, payload, headers)
        except InvalidWebhook as exc:
            log.warning("billing_webhook_refused", provider="PAYPAL", reason=str(exc))
            return JSONResponse({"error": "invalid webhook"}, status_code=400)
        except ProviderError as exc:
            # Cannot verify now: PayPal redelivers on a non-2xx answer.
            log.warning("billing_webhook_unverified", provider="PAYPAL", reason=str(exc))
            return JSONResponse({"error": "try again"}, status_code=503)
        outcome = await service.handle_event(resources, event)
        return JSONResponse({"received": True, "outcome": outcome.split(":", 1)[0]})

    return [
        Route("/billing/stripe/webhook", stripe_webhook, methods=["POST"]),
        Route("/billing/paypal/webhook", paypal_webhook, methods=["POST"]),
    ]
