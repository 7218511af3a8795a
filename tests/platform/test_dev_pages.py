"""Without a SPA (HITFLOW_APP_URL unset), e-mailed links open small pages on the API."""

from __future__ import annotations

import json
import re

import pytest
from graphql import parse, validate

from api.http.devpages import PAGES
from api.schema import schema


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"app_url": None}


def _config(body: str) -> dict[str, object]:
    match = re.search(r"<script type='application/json' id='cfg'>(.*?)</script>", body, re.S)
    assert match, body
    return json.loads(match.group(1).replace("<\\/", "</"))  # type: ignore[no-any-return]


async def test_verify_link_opens_a_page_that_posts_verify_email(client) -> None:
    response = await client.get("/verify-email", params={"token": "hf_mail_abc"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == "no-referrer"  # the token stays here
    config = _config(response.text)
    assert config["value"] == "hf_mail_abc"
    assert "verifyEmail" in str(config["mutation"])


async def test_a_token_cannot_break_out_of_the_page(client) -> None:
    response = await client.get("/verify-email", params={"token": "</script><script>alert(1)"})
    assert "</script><script>alert(1)" not in response.text
    assert _config(response.text)["value"] == "</script><script>alert(1)"


def test_every_page_posts_a_valid_document() -> None:
    for page in PAGES:
        for document in filter(None, [page.mutation, page.extra_button and page.extra_button[1]]):
            errors = validate(schema._schema, parse(str(document)))
            assert errors == [], (page.path, errors)


async def test_pages_are_not_served_when_a_spa_is_configured(tmp_path, smtp, redis_url, db):
    from api.app import create_app
    from api.resources import open_resources
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, smtp, app_url="https://app.example")
    resources = await open_resources(settings, redis_url)
    try:
        import httpx

        app = create_app(resources, start_services=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            assert (await client.get("/verify-email?token=x")).status_code == 404
    finally:
        await resources.close()
