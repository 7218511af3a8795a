"""GET /exports/{token}: the single-use download of a data export (the link is the
credential; it expires and works once)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.privacy.export import take_download
from api.resources import Resources


def routes(resources: Resources) -> list[BaseRoute]:
    async def download(request: Request) -> Response:
        data = await take_download(resources, request.path_params["token"])
        if data is None:
            return JSONResponse(
                {"error": "This link is invalid, expired or was already used."},
                status_code=404,
                headers={"Cache-Control": "no-store"},
            )
        return Response(
            data,
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="hitflow-export.json"',
                "Cache-Control": "no-store",
                # Referrer-Policy: no-referrer comes from the security-headers middleware.
            },
        )

    return [Route("/exports/{token}", download, methods=["GET"])]
