"""Links in alerts open a page that exists: the web app's when one is configured, else
GraphiQL on the API with the query that shows the target."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from api.core.ids import encode
from api.notifications.message import build_message


def _down_event() -> SimpleNamespace:
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    return SimpleNamespace(
        id=1, kind="DOWN", regions=["eu-west"], cause="TIMEOUT", at=at, detail=None, status=None
    )


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"app_url": None}


async def test_without_an_app_url_the_link_opens_graphiql_on_the_target(client, settings) -> None:
    target = SimpleNamespace(id=7, name="Shop front")
    message = build_message(settings, event=_down_event(), target=target, incident=None)
    assert message.link in message.text
    parts = urlsplit(message.link)
    assert f"{parts.scheme}://{parts.netloc}" == settings.public_url
    assert parts.path == "/graphql"
    query = parse_qs(parts.query)["q"][0]
    assert encode("Target", 7) in query

    page = await client.get(f"{parts.path}?{parts.query}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_with_an_app_url_the_link_opens_the_app(settings) -> None:
    settings = settings.model_copy(update={"app_url": "https://app.example.test"})
    target = SimpleNamespace(id=7, name="Shop front")
    message = build_message(settings, event=_down_event(), target=target, incident=None)
    assert message.link == f"https://app.example.test/targets/{encode('Target', 7)}"
