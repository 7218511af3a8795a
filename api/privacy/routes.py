"""GET /exports/{token}: the single-use download of a data export (the link is the
credential; it expires and works once)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.http.downloads import attachment, gone
from api.privacy.export import take_download
from api.resources import Resources


def routes(resources: Resources) -> list[BaseRoute]:
    async def download(request: Request) -> Response:
        data = await take_download(resources, request.path_params["token"])
        if data is None:
            return gone()
        return attachment(data, filename="hitflow-export.json", media_type="application/json")

    return [Route("/exports/{token}", download, methods=["GET"])]
