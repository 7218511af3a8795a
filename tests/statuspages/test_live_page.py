"""statusPageChanged: the public page, live, for anonymous visitors (a real uvicorn server
and a real graphql-transport-ws client)."""

from __future__ import annotations

import asyncio

import pytest

from api.events import publish
from api.statuspages.live import NO_WORKSPACE
from api.targets.models import Target, TargetStatus
from tests.factories.accounts import create_account
from tests.factories.targets import transition
from tests.live.helpers import subscribed, wait_subscribers
from tests.statuspages.helpers import create_page, three_targets

CHANGED = """
subscription($slug: String!, $password: String) {
  statusPageChanged(slug: $slug, password: $password) {
    title status components { name status } updates { title state }
  }
}"""
POST = """
mutation($page: ID!) {
  postStatusUpdate(statusPageId: $page, title: "Looking", message: "On it.",
                   state: INVESTIGATING) { errors { code } }
}"""
UPDATE = """
mutation($id: ID!, $patch: StatusPagePatch!) { updateStatusPage(id: $id, patch: $patch) {
  errors { code } } }"""


async def _down(resources, target: Target) -> None:
    """The target goes DOWN, and the core worker publishes it (as the ingest does)."""
    await transition(target, TargetStatus.DOWN)
    await publish(
        resources.redis,
        "target_status",
        workspaceId=target.workspace_id,
        targetId=target.id,
        status="DOWN",
    )


async def test_an_anonymous_visitor_sees_outages_and_updates_live(
    gql, settings, resources, live
) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    body = await create_page(gql, owner, targets)
    page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
    async with subscribed(live.url, None, CHANGED, {"slug": "acme"}) as sub:
        await wait_subscribers(live.relay, owner.workspace.id)
        await _down(resources, targets[0])
        (first,) = await sub.wait_results(1)
        assert first["statusPageChanged"]["status"] == "PARTIAL_OUTAGE"
        assert first["statusPageChanged"]["components"] == [
            {"name": "Platform", "status": "PARTIAL_OUTAGE"}
        ]
        # a member posts an update: the page's visitors see it at once
        assert (await gql(POST, {"page": page_id}, token=owner.token))["data"]["postStatusUpdate"][
            "errors"
        ] == []
        results = await sub.wait_results(2)
        assert results[1]["statusPageChanged"]["updates"] == [
            {"title": "Looking", "state": "INVESTIGATING"}
        ]
        # a target of another page of the workspace (not on this page) changes nothing
        other = await create_account(settings, email="x@example.test")
        foreign = (await three_targets(other))[0]
        await _down(resources, foreign)
        await asyncio.sleep(0.5)
        assert len(sub.results) == 2


async def test_an_unknown_slug_opens_like_a_known_one_and_stays_silent(
    gql, settings, resources, live
) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    await create_page(gql, owner, targets)
    async with subscribed(live.url, None, CHANGED, {"slug": "no-such-page"}) as sub:
        await wait_subscribers(live.relay, NO_WORKSPACE)
        await _down(resources, targets[0])
        await asyncio.sleep(0.5)
        assert sub.results == [] and sub.error is None  # open, silent, no error


async def test_a_password_page_streams_only_with_its_password(
    gql, settings, resources, live
) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    body = await create_page(gql, owner, targets, visibility="PASSWORD", password="correct horse")
    page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
    wrong = {"slug": "acme", "password": "wrong guess"}
    right = {"slug": "acme", "password": "correct horse"}
    async with (
        subscribed(live.url, None, CHANGED, wrong) as outsider,
        subscribed(live.url, None, CHANGED, right) as insider,
    ):
        await wait_subscribers(live.relay, NO_WORKSPACE)
        await wait_subscribers(live.relay, owner.workspace.id)
        await _down(resources, targets[0])
        (seen,) = await insider.wait_results(1)
        assert seen["statusPageChanged"]["status"] == "PARTIAL_OUTAGE"
        await asyncio.sleep(0.3)
        assert outsider.results == []
        # the admin changes the password: the old one's stream ends at the next event
        changed = await gql(
            UPDATE, {"id": page_id, "patch": {"password": "battery staple"}}, token=owner.token
        )
        assert changed["data"]["updateStatusPage"]["errors"] == []
        await _down(resources, targets[1])
        await asyncio.wait_for(asyncio.shield(insider._task), 5)
        assert len(insider.results) == 1
        assert live.relay.subscriber_count(owner.workspace.id) == 0


@pytest.mark.parametrize("settings_overrides", [{"status_page_rate_limit_per_minute": 2}])
async def test_subscriptions_count_against_the_public_rate_limit(gql, settings, live) -> None:
    # the page query and the subscription share the per-IP budget; the ASGI test client
    # has another IP than the websocket client (127.0.0.1)
    async with (
        subscribed(live.url, None, CHANGED, {"slug": "a"}) as one,
        subscribed(live.url, None, CHANGED, {"slug": "b"}) as two,
        subscribed(live.url, None, CHANGED, {"slug": "c"}) as three,
    ):
        error = await three.wait_error()
        assert "Too many attempts" in str(error)
        assert one.error is None and two.error is None
