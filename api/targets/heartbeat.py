"""The inbound heartbeat endpoints: /heartbeat/{token} and /heartbeat/{token}/fail.

No authentication: the token in the URL is the credential (stored hashed). GET, POST
and HEAD all count as a ping; a request body is ignored.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.core import ratelimit
from api.resources import Resources
from api.targets.pings import record_ping, target_for_token

PINGS_PER_MINUTE = 60


def routes(resources: Resources) -> list[BaseRoute]:
    async def ping(request: Request) -> Response:
        token = request.path_params["token"]
        ok = not request.url.path.endswith("/fail")
        target = await target_for_token(token)
        if target is None:
            return PlainTextResponse("Unknown heartbeat.\n", status_code=404)
        wait = await ratelimit.hit(
            resources.redis, f"hb:{target.id}", limit=PINGS_PER_MINUTE, window_seconds=60
        )
        if wait is not None:
            return PlainTextResponse(
                "Too many pings.\n", status_code=429, headers={"Retry-After": str(wait)}
            )
        result = await record_ping(resources, target, ok=ok)
        body = "OK\n" if result is not None else "OK (paused)\n"
        if request.method == "HEAD":
            return Response(status_code=200)
        return PlainTextResponse(body)

    methods = ["GET", "POST", "HEAD"]
    return [
        Route("/heartbeat/{token}", ping, methods=methods),
        Route("/heartbeat/{token}/fail", ping, methods=methods),
    ]
