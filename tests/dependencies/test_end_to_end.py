"""Done-when of issue 18 (dependencies), with the real engine: one local HTTP server
serves A, B and C (B and C depend on A). Stopping it yields one alerting incident and
ONE set of notifications (a mail, a webhook) naming B and C; B's and C's incidents are
UPSTREAM, attached to A's; restarting it resolves all three."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.incidents.models import Incident, IncidentCause
from api.notifications.models import ChannelKind, DeliveryStatus, Notification
from api.targets import dependencies
from api.targets.models import Target
from tests.factories.accounts import create_account, owner_principal
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.targets import create_target
from tests.polling import wait_for
from tests.probes.servers import HTTPServer
from workers.settings import core_worker, probe_worker

pytestmark = pytest.mark.slow


@pytest.fixture
def settings_overrides(receiver: Any) -> dict[str, Any]:
    # Wider than the spread of three 1-second checks failing (and recovering), even on a
    # loaded machine.
    return {"alert_retry_base_seconds": 0.05, "dependency_settle_seconds": 5.0}


async def _statuses(ids: list[int], status: str) -> bool:
    return await Target.filter(id__in=ids, status=status).count() == len(ids)


async def test_server_outage_pages_once_naming_the_dependents(
    settings, resources, receiver, mailbox
) -> None:
    site = await HTTPServer().start()
    port = site.port
    account = await create_account(settings, email="oncall@example.test")
    mail = await create_channel(
        resources, account, ChannelKind.EMAIL, {"address": "oncall@example.test"}
    )
    hook = await create_channel(
        resources, account, ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )  # fmt: skip
    policy = {"channelIds": [mail.id, hook.id], "notifyOn": ["DOWN", "UP"], "retries": 1}
    a, b, c = [
        await create_target(
            account.workspace,
            name=name,
            url=f"http://127.0.0.1:{port}{path}",
            interval=1,
            timeout=1.0,
            regions=[],
            schedule=resources.redis,
            alert_policy=policy,
        )
        for name, path in (("Load balancer", "/"), ("API", "/json"), ("Shop", "/echo"))
    ]
    for dependent in (b, c):
        await dependencies.set_dependencies(
            owner_principal(account), dependent.id, [dependencies.Ref("Target", a.id)]
        )
    ids = [a.id, b.id, c.id]
    workers = [core_worker(resources, poll_delay=0.05)] + [
        probe_worker(resources, region, poll_delay=0.05) for region in settings.regions
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]
    try:
        await wait_for(lambda: _statuses(ids, "UP"), timeout=20)
        await site.stop()  # the server goes down, and all three with it

        await wait_for(lambda: _statuses(ids, "DOWN"), timeout=20)
        await wait_for(
            lambda: Notification.filter(kind="DOWN", status=DeliveryStatus.SENT).count(),
            timeout=20,
        )
        await asyncio.sleep(1.0)  # nothing else is on its way
        sent = await Notification.filter(status=DeliveryStatus.SENT).order_by("id")
        assert [(n.kind, n.target_id) for n in sent] == [("DOWN", a.id), ("DOWN", a.id)]
        (down_mail,) = mailbox.to("oncall@example.test")
        assert down_mail["Subject"] == "[Hitflow] DOWN: Load balancer (and 2 dependents)"
        assert "API, Shop" in mailbox.bodies("oncall@example.test")[0]
        (down_hook,) = receiver.at("/hook")
        assert down_hook.json()["incident"]["affectedTargets"] == ["API", "Shop"]

        root = await Incident.get(target_id=a.id)
        assert root.cause_kind == IncidentCause.DIRECT and root.notified_at is not None
        for dependent in (b, c):
            inc = await Incident.get(target_id=dependent.id)
            assert (inc.cause_kind, inc.upstream_id) == (IncidentCause.UPSTREAM, root.id)
            suppressed = await Notification.filter(target_id=dependent.id).order_by("id")
            assert [(n.kind, n.status) for n in suppressed] == [
                ("DOWN", DeliveryStatus.SUPPRESSED),
                ("DOWN", DeliveryStatus.SUPPRESSED),
            ]

        site = await HTTPServer().start(port)  # and comes back
        await wait_for(lambda: _statuses(ids, "UP"), timeout=20)
        await wait_for(
            lambda: Notification.filter(kind="UP", status=DeliveryStatus.SENT).count(), timeout=20
        )
        await wait_for(lambda: _all_resolved(ids), timeout=20)
        await asyncio.sleep(6.0)  # past the settle window: no late page for B or C
        assert [m["Subject"] for m in mailbox.to("oncall@example.test")] == [
            "[Hitflow] DOWN: Load balancer (and 2 dependents)",
            "[Hitflow] UP: Load balancer",
        ]
        assert [r.json()["event"] for r in receiver.at("/hook")] == ["DOWN", "UP"]
        assert not await Notification.filter(
            target_id__in=[b.id, c.id], status__in=[DeliveryStatus.SENT, DeliveryStatus.PENDING]
        ).exists()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A job cut short by the cancel may find its Redis connection gone: not the
        # behaviour under test, so closing never hides the test's own outcome.
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        await site.stop()


async def _all_resolved(ids: list[int]) -> bool:
    return not await Incident.filter(target_id__in=ids, resolved_at=None).exists()


async def test_a_dependent_failing_after_the_page_is_named_by_the_recovery(
    settings, resources, receiver, mailbox
) -> None:
    """Load balancer and API share one server, Shop (depending on Load balancer) another.
    The first server stops: one page naming API. Then Shop's server stops: Shop is
    attached, not paged. The first server comes back: the recovery notice names API and
    Shop as down with it and Shop as not back up yet; Shop is then paged on its own."""
    first, second = await HTTPServer().start(), await HTTPServer().start()
    account = await create_account(settings, email="oncall@example.test")
    mail = await create_channel(
        resources, account, ChannelKind.EMAIL, {"address": "oncall@example.test"}
    )
    hook = await create_channel(
        resources, account, ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )  # fmt: skip
    policy = {"channelIds": [mail.id, hook.id], "notifyOn": ["DOWN", "UP"], "retries": 1}
    a, b, c = [
        await create_target(
            account.workspace,
            name=name,
            url=f"http://127.0.0.1:{server.port}{path}",
            interval=1,
            timeout=1.0,
            regions=[],
            schedule=resources.redis,
            alert_policy=policy,
        )
        for name, server, path in (
            ("Load balancer", first, "/"),
            ("API", first, "/json"),
            ("Shop", second, "/echo"),
        )
    ]
    for dependent in (b, c):
        await dependencies.set_dependencies(
            owner_principal(account), dependent.id, [dependencies.Ref("Target", a.id)]
        )
    ids = [a.id, b.id, c.id]
    workers = [core_worker(resources, poll_delay=0.05)] + [
        probe_worker(resources, region, poll_delay=0.05) for region in settings.regions
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]

    def hooks(event: str, name: str) -> list[Any]:
        return [
            r
            for r in receiver.at("/hook")
            if (r.json()["event"], r.json()["target"]["name"]) == (event, name)
        ]

    try:
        await wait_for(lambda: _statuses(ids, "UP"), timeout=20)
        await first.stop()  # Load balancer and API go down
        await wait_for(lambda: _statuses([a.id, b.id], "DOWN"), timeout=20)
        await receiver.wait_for("/hook", timeout=20)
        (page,) = hooks("DOWN", "Load balancer")
        assert page.json()["incident"]["affectedTargets"] == ["API"]

        await second.stop()  # Shop fails after the page went out
        root = await Incident.get(target_id=a.id)

        async def shop_attached() -> bool:
            return (
                await Incident.filter(
                    target_id=c.id, upstream_id=root.id, cause_kind=IncidentCause.UPSTREAM
                ).exists()
                and await Notification.filter(
                    target_id=c.id, status=DeliveryStatus.SUPPRESSED
                ).count()
                == 2
            )

        await wait_for(shop_attached, timeout=20)
        assert [r.json()["event"] for r in receiver.at("/hook")] == ["DOWN"]

        first = await HTTPServer().start(first.port)  # Load balancer (and API) come back
        await wait_for(lambda: _async_len(lambda: hooks("UP", "Load balancer")), timeout=20)
        (up,) = hooks("UP", "Load balancer")
        assert up.json()["incident"]["affectedTargets"] == ["API", "Shop"]
        still_down = up.json()["incident"]["stillDownTargets"]
        # Shop surely; API only if its first good check was not in yet
        assert "Shop" in still_down and set(still_down) <= {"API", "Shop"}

        def up_mails() -> list[str]:
            return [b for b in mailbox.bodies("oncall@example.test") if "is back up" in b]

        # The mail may land after the webhook: both are sent by the same pass, apart
        await wait_for(lambda: _async_len(up_mails), timeout=20)
        (up_mail,) = up_mails()
        assert "Not back up yet: " in up_mail and "Shop" in up_mail.split("Not back up yet")[1]

        # Shop, still down, has its own incident and is paged after the settle window
        await wait_for(lambda: _async_len(lambda: hooks("DOWN", "Shop")), timeout=20)
        own = await Incident.filter(target_id=c.id).order_by("-id").first()
        assert own is not None and own.cause_kind == IncidentCause.DIRECT
        assert not hooks("DOWN", "API")  # API recovered with its upstream: never paged

        second = await HTTPServer().start(second.port)
        await wait_for(lambda: _all_resolved(ids), timeout=20)
        await wait_for(lambda: _async_len(lambda: hooks("UP", "Shop")), timeout=20)

        async def four_mails() -> bool:  # the mail may land after the webhook
            return len(mailbox.to("oncall@example.test")) >= 4

        await wait_for(four_mails, timeout=20)
        assert [m["Subject"] for m in mailbox.to("oncall@example.test")] == [
            "[Hitflow] DOWN: Load balancer (and 1 dependent)",
            "[Hitflow] UP: Load balancer",
            "[Hitflow] DOWN: Shop",
            "[Hitflow] UP: Shop",
        ]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        await first.stop()
        await second.stop()


async def _async_len(items: Any) -> int:
    return len(items())
