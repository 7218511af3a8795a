"""End to end: a member builds a page from three targets served by real HTTP servers, gives
it a custom domain verified through a real DNS server, and stops one site. With the
scheduler, the probe workers of every region and the ingest running, the public page
(by slug and by domain, cached in Redis) shows PARTIAL_OUTAGE, and the Atom feed has the
incident's entry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import pytest_asyncio

from api.targets.models import Target, TargetStatus
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.polling import wait_for
from tests.probes.servers import DNSServer, HTTPServer
from tests.statuspages.helpers import by_domain, create_page, gid, public
from workers.settings import core_worker, probe_worker

pytestmark = pytest.mark.slow

ATOM = "{http://www.w3.org/2005/Atom}"
INTERVAL = 2
RECORDS: dict[tuple[str, str], list[str]] = {}
VERIFY = """mutation($id: ID!) { verifyStatusPageDomain(statusPageId: $id) {
  errors { code message } statusPage { customDomainVerified } } }"""
READ = """query($id: ID!) { node(id: $id) { ... on StatusPage {
  domainVerification { recordName recordValue } } } }"""


@pytest_asyncio.fixture
async def dns_server() -> AsyncIterator[DNSServer]:
    RECORDS.clear()
    server = await DNSServer(RECORDS).start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(dns_server: DNSServer) -> dict[str, Any]:
    return {"dns_resolver": f"127.0.0.1:{dns_server.port}"}


async def test_one_site_stops_the_page_shows_a_partial_outage_by_slug_and_domain(
    gql, client, settings, resources
) -> None:
    servers = [await HTTPServer().start() for _ in range(3)]
    owner = await create_account(settings)
    targets = [
        await create_target(
            owner.workspace,
            name=f"internal-{n}",
            url=f"{server.base}/",
            interval=INTERVAL,
            timeout=1.0,
            schedule=resources.redis,
            regions=[],
        )
        for n, server in enumerate(servers)
    ]
    body = await create_page(
        gql,
        owner,
        targets,
        customDomain="status.acme.test",
        components=[{"name": "Platform", "targetIds": [gid(t) for t in targets]}],
    )
    page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
    record = (await gql(READ, {"id": page_id}, token=owner.token))["data"]["node"]
    RECORDS[(record["domainVerification"]["recordName"], "TXT")] = [
        f'"{record["domainVerification"]["recordValue"]}"'
    ]
    verified = await gql(VERIFY, {"id": page_id}, token=owner.token)
    assert verified["data"]["verifyStatusPageDomain"]["errors"] == [], verified

    workers = [core_worker(resources, poll_delay=0.05)] + [
        probe_worker(resources, region, poll_delay=0.05) for region in settings.regions
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]

    async def status(fetch: Any, key: str) -> str | None:
        page = (await fetch())["data"][key]
        return None if page is None else page["status"]

    async def slug_status() -> str | None:
        return await status(lambda: public(gql), "statusPage")

    async def domain_status() -> str | None:
        return await status(lambda: by_domain(gql, "Status.Acme.test:443"), "statusPageByDomain")

    try:
        await wait_for(lambda: _all_up(targets), timeout=30)  # confirmed UP by the ingest
        assert await slug_status() == "OPERATIONAL"
        assert await domain_status() == "OPERATIONAL"  # both now cached

        await servers[1].stop()  # one site goes down
        stopped = time.monotonic()
        await wait_for(lambda: _is(slug_status, "PARTIAL_OUTAGE"), timeout=30)
        elapsed = time.monotonic() - stopped
        assert await domain_status() == "PARTIAL_OUTAGE"
        print(f"PARTIAL_OUTAGE on the public page {elapsed:.2f} s after the site stopped")

        # The incident monitoring opened is on the page and in the feed, with its text.
        async def incident_shown() -> bool:
            page = (await public(gql))["data"]["statusPage"]
            return bool(page["incidents"])

        await wait_for(incident_shown, timeout=30)
        feed = ET.fromstring((await client.get("/status/acme/feed.atom")).content)
        titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
        assert titles == ["[INVESTIGATING] Investigating"]
        (entry,) = feed.findall(f"{ATOM}entry")
        assert "Platform" in entry.findtext(f"{ATOM}content")
        assert "127.0.0.1" not in ET.tostring(feed, encoding="unicode")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A job cut short by the cancel may find its Redis connection gone: not the
        # behaviour under test, so closing never hides the test's own outcome.
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        for server in servers:
            await server.stop()


async def _all_up(targets: list[Target]) -> bool:
    statuses = await Target.filter(id__in=[t.id for t in targets]).values_list("status", flat=True)
    return all(s == TargetStatus.UP for s in statuses)


async def _is(fetch: Any, wanted: str) -> bool:
    return await fetch() == wanted
