"""The public status page is rate-limited per client IP (password guessing, floods)."""

from __future__ import annotations

import pytest

from tests.factories.accounts import create_account
from tests.statuspages.helpers import by_domain, create_page, public, three_targets


@pytest.fixture
def settings_overrides() -> dict[str, int]:
    return {"status_page_rate_limit_per_minute": 3}


async def test_the_fourth_query_in_a_minute_is_refused(gql, client, settings) -> None:
    owner = await create_account(settings)
    await create_page(gql, owner, await three_targets(owner))
    for _ in range(3):
        assert (await public(gql, password="guess"))["data"]["statusPage"] is not None
    body = await public(gql, password="guess")
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # The same counter covers the domain lookup (unknown hosts included) and the feed.
    by_host = await by_domain(gql, "status.unknown.test")
    assert by_host["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    feed = await client.get("/status/acme/feed.atom")
    assert feed.status_code == 429 and "retry-after" in feed.headers
