"""End to end with the monitoring engine: a page of three targets served by real HTTP
servers; one site stops -> the live page shows PARTIAL_OUTAGE, a confirmed subscriber's
mail says so, a webhook subscriber receives a signed POST."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from api.targets.models import Target
from tests.alerting.receiver import Receiver
from tests.conftest import free_port
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import subscribed, wait_subscribers
from tests.polling import wait_for
from tests.probes.servers import HTTPServer
from tests.statuspages.helpers import create_page
from tests.statuspages.subscriber_helpers import ADD_WEBHOOK, click_confirm, subscribe
from workers.settings import core_worker, probe_worker

pytestmark = pytest.mark.slow

CHANGED = """
subscription($slug: String!) {
  statusPageChanged(slug: $slug) { status components { name status } }
}"""


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver(free_port())
    await server.start()
    yield server
    await server.stop()


async def _all_up(ids: list[int]) -> bool:
    rows = await Target.filter(id__in=ids).values_list("status", flat=True)
    return all(str(getattr(s, "value", s)) == "UP" for s in rows)


async def test_one_site_stops_live_page_mail_and_webhook_report_it(
    gql, client, settings, resources, mailbox, receiver, live
) -> None:
    sites = [await HTTPServer().start() for _ in range(3)]
    owner = await create_account(settings, email="owner@example.test")
    targets = [
        await create_target(
            owner.workspace,
            name=f"site-{n}",
            url=f"http://127.0.0.1:{site.port}/",
            interval=1,
            timeout=1.0,
            regions=[],
            schedule=resources.redis,
            alert_policy={"channelIds": [], "notifyOn": ["DOWN"], "retries": 1},
        )
        for n, site in enumerate(sites)
    ]
    workers = [core_worker(resources, poll_delay=0.05)] + [
        probe_worker(resources, region, poll_delay=0.05) for region in settings.regions
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]
    try:
        # a member builds the page from the three targets
        body = await create_page(gql, owner, targets, slug="shop", title="Shop status")
        assert body["data"]["createStatusPage"]["errors"] == []
        page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
        # a visitor subscribes and confirms; an integrator adds a webhook
        assert (await subscribe(gql, "fan@example.test", slug="shop"))["data"][
            "subscribeToStatusPage"
        ]["errors"] == []
        await wait_for(lambda: _mails("fan@example.test", mailbox, 1), timeout=10)
        confirmed = await click_confirm(client, mailbox.to("fan@example.test")[0].get_content())
        assert confirmed.status_code == 200
        added = await gql(
            ADD_WEBHOOK, {"id": page_id, "url": f"{receiver.url}/hook"}, token=owner.token
        )
        secret = added["data"]["addStatusPageWebhook"]["secret"]
        await wait_for(lambda: _all_up([t.id for t in targets]), timeout=20)

        async with subscribed(live.url, None, CHANGED, {"slug": "shop"}) as sub:
            await wait_subscribers(live.relay, owner.workspace.id)
            # The alerting job is coalesced per wall-clock second (api/incidents/dispatch.py):
            # a transition in the very second whose job already ran waits for the next
            # alerting tick (a minute). Start the outage in a fresh second.
            await asyncio.sleep(1.1)
            await sites[1].stop()  # one site goes down

            async def outage_seen() -> bool:
                return any(
                    r["statusPageChanged"]["status"] == "PARTIAL_OUTAGE" for r in sub.results
                )

            await wait_for(outage_seen, timeout=20)
            seen = next(
                r for r in sub.results if r["statusPageChanged"]["status"] == "PARTIAL_OUTAGE"
            )
            assert seen["statusPageChanged"]["components"] == [
                {"name": "Platform", "status": "PARTIAL_OUTAGE"}
            ]

        await wait_for(lambda: _mails("fan@example.test", mailbox, 2), timeout=20)
        mail = mailbox.to("fan@example.test")[1]
        assert mail["Subject"] == "[Shop status] Incident: Platform"
        assert "Overall: Partial outage (PARTIAL_OUTAGE)" in mail.get_content()
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        (request,) = await receiver.wait_for("/hook", 1, timeout=20)
        timestamp = request.headers["x-hitflow-timestamp"]
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256)
        assert request.headers["x-hitflow-signature"] == "sha256=" + mac.hexdigest()
        payload = json.loads(request.body)
        assert payload["event"] == "status_page.incident"
        assert payload["status"] == "PARTIAL_OUTAGE"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A job cut short by the cancel may find its Redis connection gone: not the
        # behaviour under test, so closing never hides the test's own outcome.
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        for site in sites:
            await site.stop()


async def _mails(address: str, mailbox, count: int) -> bool:
    return len(mailbox.to(address)) >= count
