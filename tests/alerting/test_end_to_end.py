"""End to end with the monitoring engine: a local site stops -> one incident and one
notification per channel at local receivers; it comes back -> resolved, with notices."""

from __future__ import annotations

import asyncio
import time

import pytest

from api.incidents.models import Incident
from api.notifications.models import ChannelKind, DeliveryStatus, Notification
from tests.factories.accounts import create_account
from tests.factories.channels import channel_configs, create_channel
from tests.factories.targets import create_target
from tests.polling import wait_for
from tests.probes.servers import HTTPServer
from workers.settings import core_worker, probe_worker

pytestmark = pytest.mark.slow


async def _sent(kind: str, count: int) -> bool:
    return await Notification.filter(kind=kind, status=DeliveryStatus.SENT).count() == count


async def test_site_down_then_up_notifies_every_channel_once(
    settings, resources, receiver, mailbox
) -> None:
    site = await HTTPServer().start()
    port = site.port
    account = await create_account(settings, email="owner@example.test")
    channels = [
        await create_channel(resources, account, kind, config)
        for kind, config in channel_configs(receiver.url, account.user.email).items()
    ]
    target = await create_target(
        account.workspace, url=f"http://127.0.0.1:{port}/", interval=1, timeout=1.0,
        regions=[], schedule=resources.redis,
        alert_policy={"channelIds": [c.id for c in channels], "notifyOn": ["DOWN", "UP"], "retries": 1},
    )  # fmt: skip
    workers = [core_worker(resources, poll_delay=0.05)] + [
        probe_worker(resources, region, poll_delay=0.05) for region in settings.regions
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]
    try:
        await wait_for(lambda: _status_is(target.id, "UP"), timeout=15)
        stopped = time.monotonic()
        await site.stop()  # the site goes down

        await wait_for(lambda: _sent("DOWN", len(ChannelKind)), timeout=15)
        down_after = time.monotonic() - stopped
        (incident,) = await Incident.all()
        assert incident.resolved_at is None and incident.cause.startswith("CONNECT_ERROR")
        pd_trigger = receiver.at("/pagerduty/v2/enqueue")[0].json()
        assert pd_trigger["event_action"] == "trigger"
        assert len(mailbox.to("owner@example.test")) == 1

        site = await HTTPServer().start(port)  # and comes back
        await wait_for(lambda: _sent("UP", len(ChannelKind)), timeout=15)
        await incident.refresh_from_db()
        assert incident.resolved_at is not None
        pd = [r.json() for r in receiver.at("/pagerduty/v2/enqueue")]
        assert [p["event_action"] for p in pd] == ["trigger", "resolve"]
        assert pd[1]["dedup_key"] == pd_trigger["dedup_key"]
        assert [m["Subject"] for m in mailbox.to("owner@example.test")] == [
            "[Hitflow] DOWN: " + target.name,
            "[Hitflow] UP: " + target.name,
        ]
        # exactly one incident, one DOWN and one UP notice per channel
        assert await Incident.all().count() == 1
        assert await Notification.all().count() == 2 * len(ChannelKind)
        assert down_after < 1 * 1 + 8  # interval x retries + a few seconds
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A job cut short by the cancel may find its Redis connection gone: not the
        # behaviour under test, so closing never hides the test's own outcome.
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        await site.stop()


async def _status_is(target_id: int, status: str) -> bool:
    from api.targets.models import Target

    return (await Target.get(id=target_id)).status.value == status
