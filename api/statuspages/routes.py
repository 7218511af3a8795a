"""GET /status/{slug}/feed.atom: the Atom feed of a PUBLIC page's status updates.

A PASSWORD page has no feed (a feed reader cannot give the password): it answers 404,
as an unknown slug does. The body is built with ElementTree, which escapes every text,
and served from Redis for a few seconds (api.statuspages.cache).
"""

from __future__ import annotations

import hashlib
import re
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.core import ratelimit
from api.resources import Resources
from api.statuspages import cache, public
from api.statuspages.content import FeedEntry
from api.statuspages.models import StatusPage

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)
# Characters XML 1.0 cannot carry at all, even escaped (ElementTree would write them and
# make the feed unreadable): control characters other than tab and newlines, surrogates.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        child.text = _NOT_XML.sub("", text)
    return child


def render_feed(base_url: str, page: StatusPage, entries: list[FeedEntry]) -> bytes:
    page_url = f"{base_url}/status/{page.slug}"
    feed = ET.Element(f"{{{ATOM}}}feed")
    _el(feed, "id", f"{page_url}/feed.atom")
    _el(feed, "title", page.title)
    if page.description:
        _el(feed, "subtitle", page.description)
    updated = entries[0].posted_at if entries else page.updated_at
    _el(feed, "updated", updated.isoformat())
    _el(feed, "link", href=page_url)
    _el(feed, "link", href=f"{page_url}/feed.atom", rel="self")
    author = _el(feed, "author")
    _el(author, "name", page.title)
    for item in entries:
        entry = _el(feed, "entry")
        _el(entry, "id", f"{page_url}/{item.path}")
        _el(entry, "title", f"[{item.state.value}] {item.title}")
        _el(entry, "updated", item.posted_at.isoformat())
        _el(entry, "published", item.posted_at.isoformat())
        _el(entry, "link", href=page_url)
        _el(entry, "content", item.message, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def routes(resources: Resources) -> list[BaseRoute]:
    not_found = PlainTextResponse("No such status page.", status_code=404)

    async def feed(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        wait = await ratelimit.hit(
            resources.redis,
            f"statuspage:{client}",
            limit=resources.settings.status_page_rate_limit_per_minute,
            window_seconds=60,
        )
        if wait is not None:
            return PlainTextResponse(
                "Too many requests.", status_code=429, headers={"Retry-After": str(wait)}
            )
        # Links from the configured public URL, not the request's Host header (a cached
        # body must not carry a host a client made up).
        base = resources.settings.public_url.rstrip("/")

        async def render(page: StatusPage) -> str:
            return render_feed(base, page, await public.feed_entries(page)).decode()

        text = await cache.feed(
            resources.redis, resources.settings, request.path_params["slug"], render
        )
        if text is None:
            return not_found
        body = text.encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)

    return [Route("/status/{slug}/feed.atom", feed, methods=["GET", "HEAD"])]
