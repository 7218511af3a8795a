"""An HTTP client on an app built from given resources (e.g. other settings)."""

from __future__ import annotations

import httpx

from api.app import create_app
from api.resources import Resources


def app_client(resources: Resources) -> httpx.AsyncClient:
    """A client of a new app on these resources, as the `client` fixture builds it."""
    app = create_app(resources, start_services=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
