"""A dependent still DOWN when its upstream recovers is paged on its own (its UPSTREAM
incident gives way to a DIRECT one). That page tells the dependent's own outage: down
since it really went DOWN, with the cause and failing regions of its latest results,
not those it had when it was attached. Driven through the real ingest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.core import clock
from api.incidents.models import Incident, IncidentCause
from api.notifications.message import when
from api.notifications.models import ChannelKind
from api.targets import dependencies
from api.targets.models import Target, TargetStatus
from api.targets.state import ingest_results
from tests.dependencies.helpers import process_transitions, settle
from tests.factories.accounts import create_account, owner_principal
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.results import probe_result
from tests.factories.targets import create_target

REGIONS = ["eu-west", "us-east"]
POLICY = {"retries": 1, "downConfirmRegions": 1}  # DOWN as soon as one region fails


async def _checks(
    resources: Any, seconds: float, *rows: tuple[Target, str, str, str | None]
) -> None:
    """Move the clock, then ingest one check per (target, region, status, error)."""
    clock.advance(timedelta(seconds=seconds))
    due = int(clock.now().timestamp() * 1000)
    await ingest_results(
        resources,
        [probe_result(t, r, s, due_ms=due, error=e, at=clock.now()) for t, r, s, e in rows],
        publish=False,
    )
    await process_transitions(resources)


async def test_a_released_dependent_pages_with_its_own_since_cause_and_regions(
    resources, settings, receiver, run_core_jobs
) -> None:
    account = await create_account(settings)
    hook = await create_channel(
        resources,
        account,
        ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )
    a, c = [
        await create_target(
            account.workspace, name=name, regions=REGIONS, channels=[hook], alert_policy=POLICY
        )
        for name in ("A", "C")
    ]
    await dependencies.set_dependencies(
        owner_principal(account), c.id, [dependencies.Ref("Target", a.id)]
    )
    up = [(t, r, "UP", None) for t in (a, c) for r in REGIONS]
    await _checks(resources, 1, *up)

    # A and C go down together, unreachable from both regions: one page, for A
    refused = "CONNECT_ERROR: connection refused"
    await _checks(resources, 60, *[(t, r, "DOWN", refused) for t in (a, c) for r in REGIONS])
    await settle(resources)
    await run_core_jobs()
    c = await Target.get(id=c.id)
    assert c.status == TargetStatus.DOWN
    went_down = c.status_changed_at
    assert went_down is not None
    attached = await Incident.get(target_id=c.id)
    assert attached.cause_kind == IncidentCause.UPSTREAM
    assert [r.json()["target"]["name"] for r in receiver.at("/hook")] == ["A"]

    # For two minutes C answers 503 from us-east, and is back up from eu-west
    got_503 = "HTTP_STATUS: got 503"
    for _ in range(2):
        await _checks(
            resources,
            60,
            *[(a, r, "DOWN", refused) for r in REGIONS],
            (c, "eu-west", "UP", None),
            (c, "us-east", "DOWN", got_503),
        )
    assert (await Target.get(id=c.id)).status == TargetStatus.DOWN

    # A recovers; C, still down, gets its own incident and is paged after the settle window
    await _checks(
        resources,
        60,
        *[(a, r, "UP", None) for r in REGIONS],
        (c, "eu-west", "UP", None),
        (c, "us-east", "DOWN", got_503),
    )
    own = await Incident.filter(target_id=c.id).order_by("-id").first()
    assert own is not None and own.id != attached.id
    assert own.cause_kind == IncidentCause.DIRECT and own.notified_at is None  # held first
    assert own.started_at == went_down
    assert (own.cause, own.regions) == (got_503, ["us-east"])

    await settle(resources)
    await run_core_jobs()
    (page,) = [r.json() for r in receiver.at("/hook") if r.json()["target"]["name"] == "C"]
    assert page["event"] == "DOWN"
    assert f"C is down since {when(went_down)}." in page["text"]
    assert f"Error: {got_503}." in page["text"]
    assert "Failing regions: us-east." in page["text"]
