"""The public view and the feed are served from Redis for a few seconds; a page change, a
status update or a target / incident event makes the cached copy stale at once."""

from __future__ import annotations

from api.statuspages.models import StatusPage
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.statuspages.helpers import create_page, public, three_targets

REGIONS = ["eu-west", "us-east", "ap-south"]
RENAME = """mutation($id: ID!, $title: String!) { updateStatusPage(id: $id, patch: {title: $title}) {
  errors { code } } }"""


async def _page(gql, settings, **overrides):
    owner = await create_account(settings)
    targets = await three_targets(owner)
    body = await create_page(gql, owner, targets, **overrides)
    return owner, targets, body["data"]["createStatusPage"]["statusPage"]["id"]


async def _title(gql, **kw) -> str | None:
    page = (await public(gql, **kw))["data"]["statusPage"]
    return None if page is None else page["title"]


async def test_a_cached_view_is_served_until_something_changes(gql, settings, resources) -> None:
    owner, targets, page_id = await _page(gql, settings)
    assert await _title(gql) == "Acme status"
    ttl = await resources.redis.ttl(f"hitflow:sp:view:{(await StatusPage.get()).id}")
    assert 0 < ttl <= settings.status_page_cache_seconds

    # A change behind the API's back is not seen: the answer came from Redis.
    await StatusPage.filter(id=(await StatusPage.get()).id).update(title="Changed in the DB")
    assert await _title(gql) == "Acme status"

    # A target's status change through the ingest ends the cached copy at once.
    await ingest_results(
        resources,
        [probe_result(targets[0], r, "DOWN", due_ms=1, error="CONNECT_ERROR") for r in REGIONS],
    )
    page = (await public(gql))["data"]["statusPage"]
    assert page["title"] == "Changed in the DB" and page["status"] == "PARTIAL_OUTAGE"

    # So does a change through the API.
    body = await gql(RENAME, {"id": page_id, "title": "Renamed"}, token=owner.token)
    assert body["data"]["updateStatusPage"]["errors"] == []
    assert await _title(gql) == "Renamed"


async def test_a_cached_password_page_still_needs_its_password(gql, settings) -> None:
    await _page(gql, settings, visibility="PASSWORD", password="open sesame")
    assert await _title(gql, password="open sesame") == "Acme status"  # now cached
    assert await _title(gql) is None
    assert await _title(gql, password="wrong one") is None
    assert await _title(gql, password="open sesame") == "Acme status"


async def test_a_renamed_slug_stops_answering_at_once(gql, settings) -> None:
    owner, _, page_id = await _page(gql, settings)
    assert await _title(gql) == "Acme status"
    move = """mutation($id: ID!) { updateStatusPage(id: $id, patch: {slug: "acme-2"}) {
      errors { code } } }"""
    await gql(move, {"id": page_id}, token=owner.token)
    assert await _title(gql) is None
    assert await _title(gql, slug="acme-2") == "Acme status"


async def test_the_feed_is_cached_and_a_posted_update_refreshes_it(
    gql, client, settings, resources
) -> None:
    owner, _, page_id = await _page(gql, settings)
    first = await client.get("/status/acme/feed.atom")
    await StatusPage.filter(id=(await StatusPage.get()).id).update(title="Changed in the DB")
    assert (await client.get("/status/acme/feed.atom")).text == first.text
    post = """mutation($id: ID!) { postStatusUpdate(statusPageId: $id, title: "Slow",
      message: "Payments are slow.", state: INVESTIGATING) { errors { code } } }"""
    await gql(post, {"id": page_id}, token=owner.token)
    fresh = await client.get("/status/acme/feed.atom")
    assert "Changed in the DB" in fresh.text and "Payments are slow." in fresh.text
