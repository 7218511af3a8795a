"""One instant, two regions, two batches: the first region's result alone announces DOWN,
the second region's result of the same instant says the target was not DOWN then. The
DOWN is withdrawn if alerting has not acted on it yet: nobody is paged for an outage that
never was. If alerting already acted, the incident is kept and resolves normally."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from api.core import clock
from api.incidents.models import Incident
from api.incidents.service import process_transitions
from api.notifications.models import ChannelKind, DeliveryStatus, Notification
from api.targets.models import StateTransition, Target, TargetStatus
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.results import probe_result
from tests.factories.targets import create_target

REGIONS = ["eu-west", "us-east"]
POLICY = {"retries": 1, "downConfirmRegions": 2}  # DOWN only when both regions fail


async def _watched_target(resources: Any, settings: Any, receiver: Any) -> Target:
    account = await create_account(settings)
    hook = await create_channel(
        resources,
        account,
        ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )
    return await create_target(
        account.workspace, regions=REGIONS, channels=[hook], alert_policy=POLICY
    )


async def _up_then_one_region_down(resources: Any, target: Target, base: datetime) -> None:
    """Second 0: both UP (the target goes UP). Second 1: us-east fails alone (still UP)."""
    for t, statuses in enumerate([("UP", "UP"), ("UP", "DOWN")]):
        await ingest_results(
            resources,
            [
                probe_result(target, r, s, due_ms=t, at=base + timedelta(seconds=t))
                for r, s in zip(REGIONS, statuses, strict=True)
            ],
            publish=False,
        )


def _second_2(target: Target, base: datetime, region: str) -> list[dict[str, Any]]:
    # Second 2: eu-west fails, us-east is back. Judged whole, one region is DOWN: UP.
    status = "DOWN" if region == "eu-west" else "UP"
    return [probe_result(target, region, status, due_ms=2, at=base + timedelta(seconds=2))]


async def _history(target: Target, base: datetime) -> list[tuple[str, str, float]]:
    rows = await StateTransition.filter(target_id=target.id).order_by("at", "id")
    return [(r.from_status.value, r.to_status.value, (r.at - base).total_seconds()) for r in rows]


async def test_a_withdrawn_instant_opens_no_incident_and_pages_nobody(
    resources, settings, receiver, run_core_jobs
) -> None:
    target = await _watched_target(resources, settings, receiver)
    base = clock.now().replace(microsecond=0) - timedelta(minutes=5)
    await _up_then_one_region_down(resources, target, base)
    await process_transitions(resources)  # PENDING -> UP: no incident

    await ingest_results(resources, _second_2(target, base, "eu-west"), publish=False)
    assert (await Target.get(id=target.id)).status == TargetStatus.DOWN  # announced...
    # ... and the rest of the instant arrives before alerting ran.
    await ingest_results(resources, _second_2(target, base, "us-east"), publish=False)
    await process_transitions(resources)
    await run_core_jobs()

    fresh = await Target.get(id=target.id)
    assert fresh.status == TargetStatus.UP
    assert fresh.status_changed_at == base  # since the first UP, as if DOWN never was
    assert await _history(target, base) == [("PENDING", "UP", 0.0)]
    assert await Incident.filter(target_id=target.id).count() == 0
    assert await Notification.all().count() == 0
    assert receiver.at("/hook") == []


async def test_when_alerting_already_acted_the_incident_is_kept_and_resolved(
    resources, settings, receiver, run_core_jobs
) -> None:
    target = await _watched_target(resources, settings, receiver)
    base = clock.now().replace(microsecond=0) - timedelta(minutes=5)
    await _up_then_one_region_down(resources, target, base)

    await ingest_results(resources, _second_2(target, base, "eu-west"), publish=False)
    await process_transitions(resources)  # alerting claims the DOWN: incident, page
    await run_core_jobs()
    assert len(receiver.at("/hook")) == 1

    await ingest_results(resources, _second_2(target, base, "us-east"), publish=False)
    await process_transitions(resources)
    await run_core_jobs()

    # The page cannot be taken back: the outage stays, zero-length, and resolves with the
    # usual UP notice.
    assert (await Target.get(id=target.id)).status == TargetStatus.UP
    assert await _history(target, base) == [
        ("PENDING", "UP", 0.0),
        ("UP", "DOWN", 2.0),
        ("DOWN", "UP", 2.0),
    ]
    (incident,) = await Incident.filter(target_id=target.id)
    assert incident.started_at == incident.resolved_at == base + timedelta(seconds=2)
    sent = await Notification.filter(status=DeliveryStatus.SENT).order_by("id")
    assert [n.kind for n in sent] == ["DOWN", "UP"]
    assert [r.json()["event"] for r in receiver.at("/hook")] == ["DOWN", "UP"]


async def test_withdrawal_racing_the_alerting_pass_leaves_one_consistent_story(
    resources, settings, receiver, run_core_jobs
) -> None:
    """The rest of the instant and the alerting pass run at the same time: either the
    DOWN was withdrawn (no incident, no page) or alerting had claimed it (an incident
    resolved at that instant, DOWN then UP paged): never a page without its UP, never an
    incident left open."""
    targets = [await _watched_target(resources, settings, receiver) for _ in range(6)]
    base = clock.now().replace(microsecond=0) - timedelta(minutes=5)
    for target in targets:
        await _up_then_one_region_down(resources, target, base)
        await process_transitions(resources)
        await ingest_results(resources, _second_2(target, base, "eu-west"), publish=False)
        await asyncio.gather(
            ingest_results(resources, _second_2(target, base, "us-east"), publish=False),
            process_transitions(resources),
        )
    await process_transitions(resources)
    await run_core_jobs()

    withdrawn = [("PENDING", "UP", 0.0)]
    kept = [*withdrawn, ("UP", "DOWN", 2.0), ("DOWN", "UP", 2.0)]
    for target in targets:
        assert (await Target.get(id=target.id)).status == TargetStatus.UP
        history = await _history(target, base)
        assert history in (withdrawn, kept)
        incidents = await Incident.filter(target_id=target.id)
        events = await Notification.filter(target_id=target.id).order_by("id")
        if history == withdrawn:
            assert incidents == [] and events == []
        else:
            assert [(i.started_at, i.resolved_at) for i in incidents] == [
                (base + timedelta(seconds=2), base + timedelta(seconds=2))
            ]
            assert [(n.kind, n.status) for n in events] == [
                ("DOWN", DeliveryStatus.SENT),
                ("UP", DeliveryStatus.SENT),
            ]
