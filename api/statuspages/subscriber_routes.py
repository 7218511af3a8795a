"""The links of subscriber mails, usable without login or JavaScript.

GET  /status/{slug}/confirm?token=...      a page with a button (a mail scanner that
POST /status/{slug}/confirm?token=...      follows links must not confirm): confirms.
GET  /status/{slug}/unsubscribe?token=...  a page with a button.
POST /status/{slug}/unsubscribe?token=...  unsubscribes: the RFC 8058 one-click POST
                                           (body `List-Unsubscribe=One-Click`) or the button.

Unsubscribing answers alike for a known and an unknown token (and a second click).
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.core import ratelimit
from api.core.errors import DomainError
from api.resources import Resources
from api.statuspages import subscribers

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>{title}</title></head><body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>
"""
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _html(title: str, text: str, form: str = "", status: int = 200) -> HTMLResponse:
    body = _PAGE.format(title=escape(title), text=escape(text), form=form)
    return HTMLResponse(body, status_code=status, headers=_NO_STORE)


def _button(label: str) -> str:
    # Posts to the same URL (the token stays in the query string, as in the mail).
    return f'<form method="post"><button type="submit">{escape(label)}</button></form>'


def routes(resources: Resources) -> list[BaseRoute]:
    async def limited(request: Request) -> Response | None:
        client = request.client.host if request.client else "unknown"
        wait = await ratelimit.hit(
            resources.redis,
            f"statuspage:{client}",
            limit=resources.settings.status_page_rate_limit_per_minute,
            window_seconds=60,
        )
        if wait is None:
            return None
        return PlainTextResponse(
            "Too many requests.", status_code=429, headers={"Retry-After": str(wait)}
        )

    async def confirm(request: Request) -> Response:
        if (refused := await limited(request)) is not None:
            return refused
        token = request.query_params.get("token", "")
        if request.method == "GET":
            return _html(
                "Confirm your subscription",
                "Confirm that this address should receive the page's updates.",
                _button("Confirm"),
            )
        try:
            await subscribers.confirm(token)
        except DomainError as exc:
            return _html("Link expired", exc.message, status=400)
        return _html("Subscribed", "This address will receive the page's updates.")

    async def unsubscribe(request: Request) -> Response:
        if (refused := await limited(request)) is not None:
            return refused
        token = request.query_params.get("token", "")
        if request.method == "GET":
            return _html(
                "Unsubscribe",
                "Stop sending this page's updates to this address?",
                _button("Unsubscribe"),
            )
        await subscribers.unsubscribe(token)
        return _html("Unsubscribed", "This address will receive no more updates from the page.")

    return [
        Route("/status/{slug}/confirm", confirm, methods=["GET", "POST"]),
        Route("/status/{slug}/unsubscribe", unsubscribe, methods=["GET", "POST"]),
    ]
