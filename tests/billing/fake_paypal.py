"""A local server speaking the PayPal REST endpoints Hitflow uses (OAuth client
credentials, Subscriptions: create, cancel, revise; verify-webhook-signature), plus
PayPal's side of the story: the payer approving a subscription or a revision, payments
completing or being denied, each delivered to our webhook
with the five PAYPAL-TRANSMISSION-* headers. Signatures are an HMAC over PayPal's signed
string (transmission id | time | webhook id | CRC32 of the body), checked by the verify
endpoint, as the real one checks its certificate signature."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "paypal-client-id"
CLIENT_SECRET = "paypal-client-secret"
WEBHOOK_ID = "WH-LOCAL-1"
PLANS = {"PRO": {"EUR": "P-PRO-EUR"}, "BUSINESS": {"EUR": "P-BIZ-EUR"}}
_SIGNING_KEY = b"paypal-private-signing-key"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature(transmission_id: str, at: str, webhook_id: str, body: bytes) -> str:
    signed = f"{transmission_id}|{at}|{webhook_id}|{zlib.crc32(body)}".encode()
    return base64.b64encode(hmac.new(_SIGNING_KEY, signed, hashlib.sha256).digest()).decode()


class FakePayPal:
    def __init__(self, port: int, webhook: httpx.AsyncClient | None = None) -> None:
        self.port = port
        self.webhook = webhook
        self.seq = itertools.count(1)
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.requests: list[tuple[str, str, Any]] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.verify_down = False
        # The plans this PayPal account sells (one product): revising to another is a 422.
        self.known_plans = {pid for by_currency in PLANS.values() for pid in by_currency.values()}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    # --- the API ----------------------------------------------------------------------

    def _bearer_ok(self, request: Request) -> bool:
        return request.headers.get("authorization", "").removeprefix("Bearer ") in self.tokens

    async def token(self, request: Request) -> JSONResponse:
        self.token_requests += 1
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = (await request.body()).decode()
        if request.headers.get("authorization") != expected or "client_credentials" not in form:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        token = f"A21AA{next(self.seq)}"
        self.tokens.add(token)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": 32400, "app_id": "APP"}
        )

    async def create_subscription(self, request: Request) -> JSONResponse:
        if not self._bearer_ok(request):
            return JSONResponse({"name": "AUTHENTICATION_FAILURE"}, status_code=401)
        body = await request.json()
        self.requests.append(("POST", "/v1/billing/subscriptions", body))
        sid = f"I-SUB{next(self.seq)}"
        sub = {
            "id": sid,
            "plan_id": body["plan_id"],
            "custom_id": body.get("custom_id"),
            "status": "APPROVAL_PENDING",
            "return_url": body["application_context"]["return_url"],
        }
        self.subscriptions[sid] = sub
        links = [
            {
                "href": f"https://www.sandbox.paypal.com/webapps/billing/subscriptions?ba_token=BA-{sid}",
                "rel": "approve",
                "method": "GET",
            },
            {"href": f"{self.url}/v1/billing/subscriptions/{sid}", "rel": "self", "method": "GET"},
        ]
        return JSONResponse(
            {"id": sid, "status": "APPROVAL_PENDING", "links": links}, status_code=201
        )

    async def cancel(self, request: Request) -> Response:
        if not self._bearer_ok(request):
            return JSONResponse({"name": "AUTHENTICATION_FAILURE"}, status_code=401)
        sid = request.path_params["sid"]
        self.requests.append(
            ("POST", f"/v1/billing/subscriptions/{sid}/cancel", await request.json())
        )
        sub = self.subscriptions[sid]
        if sub["status"] == "CANCELLED":
            return JSONResponse({"name": "UNPROCESSABLE_ENTITY"}, status_code=422)
        sub["status"] = "CANCELLED"
        await self.send("BILLING.SUBSCRIPTION.CANCELLED", self._resource(sub))
        return Response(status_code=204)

    async def revise(self, request: Request) -> JSONResponse:
        """POST /v1/billing/subscriptions/{id}/revise, as PayPal documents it (Subscriptions
        v1 `subscriptions.revise`): 200 with the plan and HATEOAS links, `approve` being the
        page where the payer consents; nothing changes until they do."""
        if not self._bearer_ok(request):
            return JSONResponse({"name": "AUTHENTICATION_FAILURE"}, status_code=401)
        sid = request.path_params["sid"]
        body = await request.json()
        self.requests.append(("POST", f"/v1/billing/subscriptions/{sid}/revise", body))
        sub = self.subscriptions.get(sid)
        if sub is None:
            return self._error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        if not isinstance(body.get("plan_id"), str) or not 3 <= len(body["plan_id"]) <= 50:
            return self._error(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER")
        if body["plan_id"] not in self.known_plans:
            return self._error(422, "UNPROCESSABLE_ENTITY", "PLAN_PRODUCT_NOT_COMPATIBLE")
        if sub["status"] not in ("ACTIVE", "SUSPENDED"):
            return self._error(422, "UNPROCESSABLE_ENTITY", "SUBSCRIPTION_STATUS_INVALID")
        token = f"BA-REV{next(self.seq)}"
        sub["pending_revision"] = {"plan_id": body["plan_id"], "ba_token": token}
        api = f"{self.url}/v1/billing/subscriptions/{sid}"
        links = [
            {
                "href": f"https://www.sandbox.paypal.com/webapps/billing/subscriptions/update?ba_token={token}",
                "rel": "approve",
                "method": "GET",
            },
            {"href": api, "rel": "edit", "method": "PATCH"},
            {"href": api, "rel": "self", "method": "GET"},
            {"href": f"{api}/cancel", "rel": "cancel", "method": "POST"},
            {"href": f"{api}/suspend", "rel": "suspend", "method": "POST"},
            {"href": f"{api}/capture", "rel": "capture", "method": "POST"},
        ]
        return JSONResponse({"plan_id": body["plan_id"], "plan_overridden": False, "links": links})

    def _error(self, status: int, name: str, issue: str) -> JSONResponse:
        return JSONResponse(
            {
                "name": name,
                "message": "The requested action could not be performed.",
                "debug_id": f"dbg{next(self.seq)}",
                "details": [{"issue": issue, "description": issue.replace("_", " ").lower()}],
            },
            status_code=status,
        )

    async def verify(self, request: Request) -> JSONResponse:
        if not self._bearer_ok(request):
            return JSONResponse({"name": "AUTHENTICATION_FAILURE"}, status_code=401)
        if self.verify_down:
            return JSONResponse({"name": "INTERNAL_SERVICE_ERROR"}, status_code=500)
        body = await request.json()
        expected = signature(
            body["transmission_id"],
            body["transmission_time"],
            body["webhook_id"],
            json.dumps(body["webhook_event"]).encode(),
        )
        ok = body["webhook_id"] == WEBHOOK_ID and hmac.compare_digest(
            expected, body["transmission_sig"]
        )
        return JSONResponse({"verification_status": "SUCCESS" if ok else "FAILURE"})

    # --- PayPal's side: events, signed, delivered ---------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _resource(self, sub: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        next_billing = sub.get("next_billing_time") or _iso(now + timedelta(days=30))
        return {
            "id": sub["id"],
            "plan_id": sub["plan_id"],
            "custom_id": sub["custom_id"],
            "status": sub["status"],
            "update_time": _iso(now),
            "subscriber": {"payer_id": "PAYER1"},
            "billing_info": {"next_billing_time": next_billing},
        }

    def event(self, kind: str, resource: dict[str, Any], at: datetime | None = None) -> bytes:
        return json.dumps(
            {
                "id": f"WH-EVT-{next(self.seq)}",
                "event_type": kind,
                "create_time": _iso(at or datetime.now(UTC)),
                "resource_type": "subscription" if "SUBSCRIPTION" in kind else "sale",
                "resource": resource,
            }
        ).encode()

    def headers(
        self, body: bytes, *, at: datetime | None = None, webhook_id: str = WEBHOOK_ID
    ) -> dict[str, str]:
        tid = f"tx-{next(self.seq)}"
        when = _iso(at or datetime.now(UTC))
        return {
            "Content-Type": "application/json",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-CERT-URL": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1",
            "PAYPAL-TRANSMISSION-ID": tid,
            "PAYPAL-TRANSMISSION-TIME": when,
            "PAYPAL-TRANSMISSION-SIG": signature(tid, when, webhook_id, body),
        }

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        assert self.webhook is not None
        return await self.webhook.post(
            "/billing/paypal/webhook", content=body, headers=headers or self.headers(body)
        )

    async def send(self, kind: str, resource: dict[str, Any]) -> bytes:
        body = self.event(kind, resource)
        response = await self.post(body)
        assert response.status_code == 200, response.text
        return body

    def _sale(self, sub: dict[str, Any], state: str) -> dict[str, Any]:
        return {
            "id": f"SALE-{next(self.seq)}",
            "state": state,
            "amount": {"total": "29.00", "currency": "EUR"},
            "billing_agreement_id": sub["id"],
            "custom": sub["custom_id"],
        }

    async def approve(self, sid: str) -> dict[str, Any]:
        """The payer approved on PayPal's page and the first payment went through."""
        sub = self.subscriptions[sid]
        sub["status"] = "ACTIVE"
        await self.send("BILLING.SUBSCRIPTION.ACTIVATED", self._resource(sub))
        await self.send("PAYMENT.SALE.COMPLETED", self._sale(sub, "completed"))
        return sub

    async def approve_revision(self, sid: str) -> dict[str, Any]:
        """The payer followed the revise approval link and consented: the subscription is on
        the new plan, and PayPal says so with BILLING.SUBSCRIPTION.UPDATED."""
        sub = self.subscriptions[sid]
        revision = sub.pop("pending_revision")
        sub["plan_id"] = revision["plan_id"]
        await self.send("BILLING.SUBSCRIPTION.UPDATED", self._resource(sub))
        return sub

    async def deny_payment(self, sid: str) -> None:
        sub = self.subscriptions[sid]
        await self.send("PAYMENT.SALE.DENIED", self._sale(sub, "denied"))
        sub["status"] = "SUSPENDED"
        await self.send("BILLING.SUBSCRIPTION.SUSPENDED", self._resource(sub))

    # --- server -------------------------------------------------------------------------

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/v1/oauth2/token", self.token, methods=["POST"]),
                Route("/v1/billing/subscriptions", self.create_subscription, methods=["POST"]),
                Route("/v1/billing/subscriptions/{sid}/cancel", self.cancel, methods=["POST"]),
                Route("/v1/billing/subscriptions/{sid}/revise", self.revise, methods=["POST"]),
                Route("/v1/notifications/verify-webhook-signature", self.verify, methods=["POST"]),
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
