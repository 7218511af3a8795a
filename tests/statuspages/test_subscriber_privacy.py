"""Subscriber addresses are personal data the workspace holds: exported with it (without
tokens or secrets), deleted with it."""

from __future__ import annotations

from api.privacy.export import collect
from api.privacy.purge import purge_account
from api.statuspages.subscriber_models import (
    StatusPageNotice,
    StatusPageSubscriber,
    StatusPageWebhook,
)
from tests.factories.accounts import create_account
from tests.statuspages.helpers import create_page, three_targets
from tests.statuspages.subscriber_helpers import ADD_WEBHOOK, subscribe


async def _page_with_audience(gql, settings, email: str, slug: str):
    owner = await create_account(settings, email=email)
    body = await create_page(gql, owner, await three_targets(owner), slug=slug)
    page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
    await subscribe(gql, f"visitor-of-{slug}@example.test", slug=slug)
    added = await gql(
        ADD_WEBHOOK, {"id": page_id, "url": f"http://127.0.0.1:9/{slug}?key=k"}, token=owner.token
    )
    assert added["data"]["addStatusPageWebhook"]["errors"] == []
    return owner


async def test_the_export_holds_the_workspace_subscribers_without_tokens(gql, settings) -> None:
    ada = await _page_with_audience(gql, settings, "ada@example.test", "ada")
    await _page_with_audience(gql, settings, "bob@example.test", "bob")
    data = (await collect(ada.user.id))["data"]
    (subscriber,) = data["StatusPageSubscriber"]
    assert subscriber["email"] == "visitor-of-ada@example.test"
    assert not [k for k in subscriber if "token" in k]
    (webhook,) = data["StatusPageWebhook"]
    assert webhook["host"] == "127.0.0.1" and "secrets_encrypted" not in webhook
    assert "visitor-of-bob" not in repr(data)


async def test_deleting_the_account_deletes_its_pages_subscribers(gql, settings) -> None:
    ada = await _page_with_audience(gql, settings, "ada@example.test", "ada")
    await _page_with_audience(gql, settings, "bob@example.test", "bob")
    counts = await purge_account(settings, ada.user.id)
    assert counts is not None and counts["StatusPageSubscriber"] == 1
    assert await StatusPageSubscriber.all().values_list("email", flat=True) == [
        "visitor-of-bob@example.test"
    ]
    assert await StatusPageWebhook.all().count() == 1
    assert await StatusPageNotice.all().count() == 0
