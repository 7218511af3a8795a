"""GET /status/{slug}/feed.atom: the page's updates as Atom, escaped, cached."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from api.core import clock
from api.core.ids import encode
from api.statuspages.models import StatusPage, StatusUpdate, UpdateState
from tests.factories.accounts import create_account
from tests.statuspages.helpers import create_page, three_targets

ATOM = "{http://www.w3.org/2005/Atom}"
POST_UPDATE = """mutation($page: ID!, $title: String!, $message: String!) {
  postStatusUpdate(statusPageId: $page, title: $title, message: $message, state: RESOLVED) {
    errors { code } } }"""


async def _page(gql, settings, **overrides) -> StatusPage:
    owner = await create_account(settings)
    await create_page(gql, owner, await three_targets(owner), **overrides)
    return await StatusPage.get()


async def test_the_feed_has_the_updates_escaped(gql, client, settings) -> None:
    page = await _page(gql, settings, title="Acme & <Co>")
    await StatusUpdate.create(
        page=page,
        title="<script>alert(1)</script>",
        message="Payments fail & retry </content><evil/>\x1b\x0b",  # stored directly: the API refuses them
        state=UpdateState.IDENTIFIED,
        posted_at=clock.now(),
    )
    response = await client.get("/status/acme/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert response.headers["cache-control"] == "public, max-age=60"
    assert "<script>" not in response.text and "<evil/>" not in response.text
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Acme & <Co>"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "[IDENTIFIED] <script>alert(1)</script>"
    assert entry.findtext(f"{ATOM}content") == "Payments fail & retry </content><evil/>"
    assert entry.findtext(f"{ATOM}id").startswith("http://testserver/status/acme/updates/")


async def test_the_etag_answers_304_until_a_new_update(gql, client, settings) -> None:
    owner = await create_account(settings)
    await create_page(gql, owner, await three_targets(owner))
    page = await StatusPage.get()
    first = await client.get("/status/acme/feed.atom")
    etag = first.headers["etag"]
    again = await client.get("/status/acme/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # Posted as members do (the feed is cached; posting ends the cached copy).
    posted = await gql(
        POST_UPDATE,
        {"page": encode("StatusPage", page.id), "title": "Up", "message": "ok"},
        token=owner.token,
    )
    assert posted["data"]["postStatusUpdate"]["errors"] == []
    changed = await client.get("/status/acme/feed.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_password_pages_and_unknown_slugs_have_no_feed(gql, client, settings) -> None:
    await _page(gql, settings, visibility="PASSWORD", password="open sesame")
    protected = await client.get("/status/acme/feed.atom")
    unknown = await client.get("/status/nope/feed.atom")
    assert protected.status_code == unknown.status_code == 404
    assert protected.text == unknown.text
