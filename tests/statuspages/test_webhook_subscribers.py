"""Page admins add and remove webhook subscribers; members see how many subscribe."""

from __future__ import annotations

import pytest

from api.core import clock
from api.core.ids import decode, encode
from api.statuspages.subscriber_models import StatusPageSubscriber, StatusPageWebhook
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.statuspages.helpers import create_page, three_targets
from tests.statuspages.subscriber_helpers import ADD_WEBHOOK, AUDIENCE, REMOVE_WEBHOOK


async def _page(gql, settings, email: str = "owner@example.test", slug: str = "acme"):
    owner = await create_account(settings, email=email)
    body = await create_page(gql, owner, await three_targets(owner), slug=slug)
    return owner, body["data"]["createStatusPage"]["statusPage"]["id"]


async def test_an_admin_adds_a_webhook_and_gets_its_secret_once(gql, settings) -> None:
    owner, page_id = await _page(gql, settings)
    body = await gql(
        ADD_WEBHOOK, {"id": page_id, "url": "http://127.0.0.1:9/hook?key=abc"}, token=owner.token
    )
    payload = body["data"]["addStatusPageWebhook"]
    assert payload["errors"] == []
    assert payload["webhook"]["host"] == "127.0.0.1"
    assert len(payload["secret"]) >= 40
    # the URL and secret are stored encrypted, never in clear
    row = await StatusPageWebhook.get()
    assert "abc" not in row.secrets_encrypted and payload["secret"] not in row.secrets_encrypted
    # the audience lists the webhook by host, never its URL or secret
    audience = await gql(AUDIENCE, {"id": page_id}, token=owner.token)
    assert audience["data"]["statusPageAudience"] == {
        "subscriberCount": 0,
        "webhooks": [{"id": payload["webhook"]["id"], "host": "127.0.0.1"}],
    }
    removed = await gql(REMOVE_WEBHOOK, {"id": payload["webhook"]["id"]}, token=owner.token)
    assert removed["data"]["removeStatusPageWebhook"]["errors"] == []
    assert await StatusPageWebhook.all().count() == 0


async def test_only_admins_with_write_scope_manage_webhooks(gql, settings) -> None:
    owner, page_id = await _page(gql, settings)
    url = {"id": page_id, "url": "http://127.0.0.1:9/hook"}
    # a member (not admin) of the workspace: FORBIDDEN, nothing written
    member = await create_account(settings, email="member@example.test")
    await add_member(owner.workspace, member.user, Role.MEMBER)
    body = await gql(ADD_WEBHOOK, url, token=member.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # another workspace's owner: NOT_FOUND (tenancy)
    stranger, _ = await _page(gql, settings, email="stranger@example.test", slug="other")
    body = await gql(ADD_WEBHOOK, url, token=stranger.token)
    assert body["data"]["addStatusPageWebhook"]["errors"] == [
        {"field": "statusPageId", "code": "NOT_FOUND"}
    ]
    # the owner's read-only token: refused by scope
    read_only = await create_pat(owner.user, ["targets:read"])
    body = await gql(ADD_WEBHOOK, url, token=read_only)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # anonymous: refused
    body = await gql(ADD_WEBHOOK, url)
    assert body["data"] is None
    assert await StatusPageWebhook.all().count() == 0

    added = await gql(ADD_WEBHOOK, url, token=owner.token)
    hook_id = added["data"]["addStatusPageWebhook"]["webhook"]["id"]
    # removing: the stranger gets NOT_FOUND, the member FORBIDDEN
    body = await gql(REMOVE_WEBHOOK, {"id": hook_id}, token=stranger.token)
    assert body["data"]["removeStatusPageWebhook"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND"}
    ]
    body = await gql(REMOVE_WEBHOOK, {"id": hook_id}, token=member.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await StatusPageWebhook.all().count() == 1
    # members see the count but not the webhooks; strangers see nothing
    audience = await gql(AUDIENCE, {"id": page_id}, token=member.token)
    assert audience["data"]["statusPageAudience"] == {"subscriberCount": 0, "webhooks": []}
    audience = await gql(AUDIENCE, {"id": page_id}, token=stranger.token)
    assert audience["data"]["statusPageAudience"] is None
    audience = await gql(AUDIENCE, {"id": page_id})
    assert audience["data"] == {"statusPageAudience": None}
    assert audience["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")


@pytest.mark.parametrize("settings_overrides", [{"probe_allow_private_networks": False}])
@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "file:///etc/passwd"],
)
async def test_unsafe_urls_are_refused(gql, settings, url) -> None:
    owner, page_id = await _page(gql, settings)
    body = await gql(ADD_WEBHOOK, {"id": page_id, "url": url}, token=owner.token)
    payload = body["data"]["addStatusPageWebhook"]
    assert payload == {
        "errors": [{"field": "url", "code": "UNSAFE_TARGET"}],
        "webhook": None,
        "secret": None,
    }
    assert await StatusPageWebhook.all().count() == 0


async def test_the_count_is_of_confirmed_subscribers_only(gql, settings) -> None:
    owner, page_id = await _page(gql, settings)
    pk = decode(page_id, "StatusPage")
    for n, confirmed in enumerate([True, True, False]):
        await StatusPageSubscriber.create(
            page_id=pk,
            email=f"s{n}@example.test",
            confirmed_at=clock.now() if confirmed else None,
            unsubscribe_token_hash=f"h{n}",
            unsubscribe_token_encrypted="x",
        )
    audience = await gql(AUDIENCE, {"id": page_id}, token=owner.token)
    assert audience["data"]["statusPageAudience"]["subscriberCount"] == 2
    assert encode("StatusPage", pk) == page_id


async def test_the_audience_needs_targets_read(gql, settings) -> None:
    owner, page_id = await _page(gql, settings)
    results_only = await create_pat(owner.user, ["results:read"])
    body = await gql(AUDIENCE, {"id": page_id}, token=results_only)
    assert body["data"] == {"statusPageAudience": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    reader = await create_pat(owner.user, ["targets:read"])
    body = await gql(AUDIENCE, {"id": page_id}, token=reader)
    assert body["data"]["statusPageAudience"]["subscriberCount"] == 0
