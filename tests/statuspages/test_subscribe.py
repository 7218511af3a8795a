"""Visitors subscribe by e-mail with double opt-in and leave with one click, no login."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from api.core import clock
from api.statuspages.subscriber_models import StatusPageSubscriber
from api.statuspages.subscribers import expire_pending
from tests.factories.accounts import create_account
from tests.statuspages.helpers import create_page, three_targets
from tests.statuspages.subscriber_helpers import (
    CONFIRM,
    UNSUBSCRIBE,
    click_confirm,
    link,
    subscribe,
    token_of,
)


@pytest.fixture
async def page(gql, settings):
    owner = await create_account(settings)
    body = await create_page(gql, owner, await three_targets(owner))
    assert body["data"]["createStatusPage"]["errors"] == []
    return owner


async def test_double_opt_in_then_one_click_unsubscribe(
    gql, client, page, mailbox, run_core_jobs
) -> None:
    # given a visitor who subscribes
    body = await subscribe(gql, "Visitor@Example.test")
    assert body["data"]["subscribeToStatusPage"]["errors"] == []
    await run_core_jobs()
    (mail,) = mailbox.to("visitor@example.test")
    assert mail["Subject"] == "Confirm your subscription to Acme status"
    row = await StatusPageSubscriber.get(email="visitor@example.test")
    assert row.confirmed_at is None  # not before the click

    # opening the link shows a button and confirms nothing (mail scanners follow links)
    path = link(mail.get_content(), "confirm")
    assert (await client.get(path)).status_code == 200
    await row.refresh_from_db()
    assert row.confirmed_at is None
    # the button confirms, once
    answer = await client.post(path)
    assert answer.status_code == 200 and "Subscribed" in answer.text
    await row.refresh_from_db()
    assert row.confirmed_at is not None
    again = await client.post(path)
    assert again.status_code == 400
    reused = await gql(CONFIRM, {"token": token_of(path)})
    assert reused["data"]["confirmStatusPageSubscription"]["errors"] == [
        {"field": "token", "code": "EXPIRED"}
    ]

    # every mail carries RFC 8058 one-click unsubscribe, and the same link in its body
    header = mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.strip("<>")
    assert url.startswith("http://testserver/status/acme/unsubscribe?token=")
    assert url in mail.get_content()
    # the mail client's one-click POST, without any cookie or login
    path = url.removeprefix("http://testserver")
    done = await client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert not await StatusPageSubscriber.filter(email="visitor@example.test").exists()
    # a second click answers the same
    twice = await client.post(path)
    assert twice.status_code == 200 and twice.text == done.text


async def test_the_answer_is_the_same_for_every_address_and_slug(
    gql, settings, page, mailbox, run_core_jobs
) -> None:
    # a confirmed subscriber, a pending one, a PASSWORD page, an unknown slug
    await subscribe(gql, "confirmed@example.test")
    await run_core_jobs()
    row = await StatusPageSubscriber.get(email="confirmed@example.test")
    row.confirmed_at = clock.now()
    await row.save()
    await subscribe(gql, "pending@example.test")
    other = await create_account(settings, email="other@example.test")
    body = await create_page(
        gql, other, await three_targets(other), slug="secret", visibility="PASSWORD",
        password="correct horse",
    )  # fmt: skip
    assert body["data"]["createStatusPage"]["errors"] == []
    await run_core_jobs()
    mailbox.messages.clear()

    answers = [
        await subscribe(gql, "new@example.test"),
        await subscribe(gql, "pending@example.test"),
        await subscribe(gql, "confirmed@example.test"),
        await subscribe(gql, "stranger@example.test", slug="no-such-page"),
        await subscribe(gql, "guess@example.test", slug="secret", password="wrong password"),
        await subscribe(gql, "guess2@example.test", slug="secret"),
    ]
    assert all(a["data"] == answers[0]["data"] for a in answers), answers
    assert answers[0]["data"]["subscribeToStatusPage"]["errors"] == []

    await run_core_jobs()
    # only the real page's addresses get a mail; the others are not even stored
    assert {str(m["To"]) for m in mailbox.messages} == {
        "new@example.test",
        "pending@example.test",
        "confirmed@example.test",
    }
    assert [m["Subject"] for m in mailbox.to("confirmed@example.test")] == [
        "You are subscribed to Acme status"
    ]
    assert not await StatusPageSubscriber.filter(
        email__in=["stranger@example.test", "guess@example.test", "guess2@example.test"]
    ).exists()
    # the pending address got a fresh link; its first one no longer works
    assert await StatusPageSubscriber.filter(page__slug="acme").count() == 3


async def test_a_password_page_needs_its_password(gql, settings, mailbox, run_core_jobs) -> None:
    owner = await create_account(settings)
    body = await create_page(
        gql, owner, await three_targets(owner), visibility="PASSWORD", password="correct horse"
    )
    assert body["data"]["createStatusPage"]["errors"] == []
    await subscribe(gql, "friend@example.test", password="correct horse")
    await run_core_jobs()
    (mail,) = mailbox.to("friend@example.test")
    assert "/status/acme/confirm?token=" in mail.get_content()


async def test_a_malformed_address_is_an_input_error(gql, page) -> None:
    body = await subscribe(gql, "not an address")
    assert body["data"]["subscribeToStatusPage"] == {
        "errors": [
            {"field": "email", "code": "INVALID", "message": "Enter a valid e-mail address."}
        ],
        "message": None,
    }
    assert await StatusPageSubscriber.all().count() == 0


async def test_attempts_are_throttled_per_address(gql, page, settings) -> None:
    limit = settings.status_page_subscribe_per_address_per_hour
    # concurrent attempts: the counter is incremented before judging, so at most `limit` pass
    answers = await asyncio.gather(
        *(subscribe(gql, "target@example.test") for _ in range(limit + 3))
    )
    limited = [a for a in answers if a.get("errors")]
    assert len(limited) == 3
    assert {e["extensions"]["code"] for a in limited for e in a["errors"]} == {"RATE_LIMITED"}
    # an unknown slug counts against the same address (no way to tell them apart)
    body = await subscribe(gql, "target@example.test", slug="no-such-page")
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


@pytest.mark.parametrize("settings_overrides", [{"status_page_subscribe_per_ip_per_hour": 4}])
async def test_attempts_are_throttled_per_client(gql, page) -> None:
    for n in range(4):
        body = await subscribe(gql, f"a{n}@example.test")
        assert "errors" not in body
    body = await subscribe(gql, "a9@example.test")
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert body["data"] is None
    assert not await StatusPageSubscriber.filter(email="a9@example.test").exists()


async def test_unsubscribe_mutation_and_unknown_tokens(gql, client, page, mailbox, run_core_jobs):
    await subscribe(gql, "leaver@example.test")
    await run_core_jobs()
    (mail,) = mailbox.to("leaver@example.test")
    await click_confirm(client, mail.get_content())
    token = token_of(link(mail.get_content(), "unsubscribe"))
    unknown = await gql(UNSUBSCRIBE, {"token": "hf_spu_nonsense"})
    known = await gql(UNSUBSCRIBE, {"token": token})
    assert (
        known["data"]
        == unknown["data"]
        == {"unsubscribeFromStatusPage": {"errors": [], "slug": None}}
    )
    assert await StatusPageSubscriber.all().count() == 0


async def test_unconfirmed_addresses_are_deleted_after_the_pending_time(
    gql, page, settings, run_core_jobs
) -> None:
    await subscribe(gql, "late@example.test")
    await subscribe(gql, "confirmed@example.test")
    await StatusPageSubscriber.filter(email="confirmed@example.test").update(
        confirmed_at=clock.now(), confirm_token_hash=None, confirm_expires_at=None
    )
    assert await expire_pending() == 0  # not yet
    clock.advance(timedelta(hours=settings.status_page_pending_hours, seconds=1))
    assert await expire_pending() == 1
    assert await StatusPageSubscriber.all().values_list("email", flat=True) == [
        "confirmed@example.test"
    ]
