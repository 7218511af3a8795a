"""A local server speaking the part of Stripe's documented API that Hitflow uses
(form-encoded requests, JSON objects), plus the dashboard's side of it: completing a
checkout, failing or paying an invoice, ending a period — each one delivered to our
webhook endpoint as a signed event (Stripe-Signature: t=...,v1=HMAC-SHA256)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

WEBHOOK_SECRET = "whsec_test_local"
SECRET_KEY = "sk_test_local"
PRICES = {
    "PRO": {"EUR": "price_pro_eur", "USD": "price_pro_usd"},
    "BUSINESS": {"EUR": "price_biz_eur"},
}
PERIOD = 30 * 86400


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class FakeStripe:
    def __init__(self, port: int, webhook: httpx.AsyncClient | None = None) -> None:
        self.port = port
        self.webhook = webhook  # posts to our /billing/stripe/webhook
        self.requests: list[tuple[str, str, dict[str, str], str]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.seq = itertools.count(1)
        self.delivered: list[httpx.Response] = []
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- the API ----------------------------------------------------------------------

    async def _form(self, request: Request) -> dict[str, str]:
        body = (await request.body()).decode()
        form = dict(parse_qsl(body, keep_blank_values=True))
        self.requests.append(
            (request.method, request.url.path, form, request.headers.get("authorization", ""))
        )
        return form

    def _auth_ok(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {SECRET_KEY}"

    async def create_session(self, request: Request) -> JSONResponse:
        form = await self._form(request)
        if not self._auth_ok(request):
            return JSONResponse({"error": {"type": "invalid_request_error"}}, status_code=401)
        if form.get("mode") != "subscription" or "line_items[0][price]" not in form:
            return JSONResponse(
                {"error": {"type": "invalid_request_error", "message": "bad params"}},
                status_code=400,
            )
        sid = f"cs_test_{next(self.seq)}"
        session = {
            "id": sid,
            "object": "checkout.session",
            "mode": "subscription",
            "url": f"https://checkout.stripe.com/c/pay/{sid}",
            "client_reference_id": form.get("client_reference_id"),
            "customer": form.get("customer"),
            "metadata": {
                "workspace_id": form.get("metadata[workspace_id]"),
                "plan": form.get("metadata[plan]"),
            },
            "price": form["line_items[0][price]"],
            "success_url": form.get("success_url"),
            "status": "open",
        }
        self.sessions[sid] = session
        return JSONResponse(session)

    async def create_portal(self, request: Request) -> JSONResponse:
        form = await self._form(request)
        return JSONResponse(
            {
                "id": f"bps_{next(self.seq)}",
                "object": "billing_portal.session",
                "customer": form.get("customer"),
                "url": f"https://billing.stripe.com/p/session/{form.get('customer')}",
            }
        )

    async def subscription(self, request: Request) -> JSONResponse:
        sub_id = request.path_params["sid"]
        form = await self._form(request)
        sub = self.subscriptions.get(sub_id)
        if sub is None:
            return JSONResponse(
                {"error": {"type": "invalid_request_error", "code": "resource_missing"}},
                status_code=404,
            )
        if request.method == "DELETE":
            sub["status"] = "canceled"
            await self.send("customer.subscription.deleted", sub)
        elif request.method == "POST":
            if "cancel_at_period_end" in form:
                sub["cancel_at_period_end"] = form["cancel_at_period_end"] == "true"
            if "items[0][price]" in form:
                sub["items"]["data"][0]["price"]["id"] = form["items[0][price]"]
            await self.send("customer.subscription.updated", sub)
        return JSONResponse(sub)

    # --- the dashboard's side: events, signed, delivered -----------------------------------

    def event(self, kind: str, obj: dict[str, Any], created: int | None = None) -> bytes:
        return json.dumps(
            {
                "id": f"evt_{next(self.seq)}",
                "object": "event",
                "type": kind,
                "created": int(time.time()) if created is None else created,
                "data": {"object": json.loads(json.dumps(obj))},
            }
        ).encode()

    async def post(self, payload: bytes, signature: str | None = None) -> httpx.Response:
        assert self.webhook is not None
        headers = {"Content-Type": "application/json"}
        headers["Stripe-Signature"] = signature if signature is not None else sign(payload)
        response = await self.webhook.post(
            "/billing/stripe/webhook", content=payload, headers=headers
        )
        self.delivered.append(response)
        return response

    async def send(self, kind: str, obj: dict[str, Any], created: int | None = None) -> bytes:
        payload = self.event(kind, obj, created)
        response = await self.post(payload)
        assert response.status_code == 200, response.text
        return payload

    def _invoice(self, sub: dict[str, Any], paid: bool) -> dict[str, Any]:
        price = sub["items"]["data"][0]["price"]["id"]
        amount = 2900 if "pro" in price else 9900
        return {
            "id": f"in_{next(self.seq)}",
            "object": "invoice",
            "customer": sub["customer"],
            "amount_paid": amount if paid else 0,
            "amount_due": amount,
            "currency": "eur",
            "status": "paid" if paid else "open",
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{sub['id']}",
            "parent": {
                "subscription_details": {"subscription": sub["id"], "metadata": sub["metadata"]}
            },
        }

    async def complete_checkout(self, session_id: str) -> dict[str, Any]:
        """The customer paid on Stripe's page: the subscription exists, events follow."""
        session = self.sessions[session_id]
        customer = session["customer"] or f"cus_{next(self.seq)}"
        sub_id = f"sub_{next(self.seq)}"
        now = int(time.time())
        sub = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": "active",
            "cancel_at_period_end": False,
            "metadata": session["metadata"],
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{next(self.seq)}",
                        "price": {"id": session["price"]},
                        "current_period_end": now + PERIOD,
                    }
                ],
            },
        }
        self.subscriptions[sub_id] = sub
        session.update(
            status="complete", customer=customer, subscription=sub_id, payment_status="paid"
        )
        await self.send("checkout.session.completed", session)
        await self.send("customer.subscription.created", sub)
        await self.send("invoice.paid", self._invoice(sub, paid=True))
        return sub

    async def fail_payment(self, sub_id: str) -> None:
        sub = self.subscriptions[sub_id]
        sub["status"] = "past_due"
        await self.send("invoice.payment_failed", self._invoice(sub, paid=False))
        await self.send("customer.subscription.updated", sub)

    async def pay(self, sub_id: str) -> None:
        sub = self.subscriptions[sub_id]
        sub["status"] = "active"
        await self.send("invoice.paid", self._invoice(sub, paid=True))
        await self.send("customer.subscription.updated", sub)

    async def end_period(self, sub_id: str) -> None:
        """The period ends on a subscription set to cancel: Stripe deletes it."""
        sub = self.subscriptions[sub_id]
        assert sub["cancel_at_period_end"]
        sub["status"] = "canceled"
        sub["items"]["data"][0]["current_period_end"] = int(time.time())
        await self.send("customer.subscription.deleted", sub)

    # --- server -------------------------------------------------------------------------

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/v1/checkout/sessions", self.create_session, methods=["POST"]),
                Route("/v1/billing_portal/sessions", self.create_portal, methods=["POST"]),
                Route(
                    "/v1/subscriptions/{sid}", self.subscription, methods=["GET", "POST", "DELETE"]
                ),
            ]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await self._task
