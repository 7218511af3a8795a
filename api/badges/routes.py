"""GET /badge/{token}/status.svg | uptime.svg | response.svg | shields.json.

No authentication: the token is the credential. An unknown token gets a grey "unknown"
badge with 404 and the same headers as a real one, so tokens cannot be enumerated by
shape or status. Rate-limited per client IP; cached by browsers and CDNs for a minute.
"""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.badges import service, svg
from api.core import ratelimit
from api.core.errors import Invalid
from api.resources import Resources

SVG = "image/svg+xml; charset=utf-8"
JSON = "application/json"


def routes(resources: Resources) -> list[BaseRoute]:
    settings = resources.settings

    async def answer(request: Request, kind: str, fmt: str) -> Response:
        ip = request.client.host if request.client else "unknown"
        wait = await ratelimit.hit(
            resources.redis,
            f"badge:{ip}",
            limit=settings.badge_rate_limit_per_minute,
            window_seconds=60,
        )
        if wait is not None:
            return PlainTextResponse(
                "Too many requests.\n", status_code=429, headers={"Retry-After": str(wait)}
            )
        try:
            period = service.parse_period(request.query_params.get("period"))
        except Invalid as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)
        badge = await service.badge_for(
            resources.redis, settings, request.path_params["token"], kind, period
        )
        if fmt == "json":
            body = json.dumps(
                {
                    "schemaVersion": 1,
                    "label": badge.label,
                    "message": badge.message,
                    "color": badge.color,
                },
                separators=(",", ":"),
            ).encode()
            media_type = JSON
        else:
            body = svg.render(badge.label, badge.message, badge.color).encode()
            media_type = SVG
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {
            "Cache-Control": f"max-age={settings.badge_cache_seconds}",
            "ETag": etag,
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(
            body, status_code=200 if badge.found else 404, media_type=media_type, headers=headers
        )

    async def status_svg(request: Request) -> Response:
        return await answer(request, "status", "svg")

    async def uptime_svg(request: Request) -> Response:
        return await answer(request, "uptime", "svg")

    async def response_svg(request: Request) -> Response:
        return await answer(request, "response", "svg")

    async def shields(request: Request) -> Response:
        kind = request.query_params.get("kind", "status")
        if kind not in service.KINDS:
            return PlainTextResponse(
                f"kind must be one of {', '.join(service.KINDS)}, not {kind!r}.\n",
                status_code=400,
            )
        return await answer(request, kind, "json")

    return [
        Route("/badge/{token}/status.svg", status_svg, methods=["GET", "HEAD"]),
        Route("/badge/{token}/uptime.svg", uptime_svg, methods=["GET", "HEAD"]),
        Route("/badge/{token}/response.svg", response_svg, methods=["GET", "HEAD"]),
        Route("/badge/{token}/shields.json", shields, methods=["GET", "HEAD"]),
    ]
