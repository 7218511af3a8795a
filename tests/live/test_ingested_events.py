"""End to end from ingestion: results, a status change, an incident opening and resolving
reach a subscribed client (three subscriptions on one websocket)."""

from __future__ import annotations

import asyncio
import time

from gql import GraphQLRequest

from api.core.ids import encode
from api.incidents.service import process_transitions
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target
from tests.live.helpers import subscribed, wait_subscribers

REGIONS = ["eu-west", "us-east", "ap-south"]  # the test settings' regions
RESULTS = "subscription($w: ID) { checkResults(workspaceId: $w) { id status region } }"
STATUS = "subscription($w: ID!) { targetStatusChanged(workspaceId: $w) { id status } }"
INCIDENTS = """subscription($w: ID!) {
  incidents(workspaceId: $w) { id resolvedAt cause target { id } }
}"""


async def collect(session, document: str, variables: dict, into: list) -> None:  # type: ignore[no-untyped-def]
    async for item in session.subscribe(GraphQLRequest(document, variable_values=variables)):
        into.append(item)


async def wait_for(items: list, count: int, timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    while len(items) < count:
        assert time.monotonic() < deadline, f"got {items}"
        await asyncio.sleep(0.01)
    return items


async def test_ingested_result_status_change_and_incident_reach_the_client(
    live, resources, settings
) -> None:
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    variables = {"w": account.workspace_gid}
    statuses: list = []
    incidents: list = []
    async with subscribed(live.url, account.token, RESULTS, variables) as results:
        session = results.client.session
        tasks = [
            asyncio.create_task(collect(session, STATUS, variables, statuses)),
            asyncio.create_task(collect(session, INCIDENTS, variables, incidents)),
        ]
        await wait_subscribers(live.relay, account.workspace.id, 3)

        # Results of every region come in: the client sees each within a second,
        # and the target going UP.
        started = time.monotonic()
        await ingest_results(resources, [probe_result(target, r, due_ms=1) for r in REGIONS])
        await results.wait_results(3, timeout=1.0)
        assert time.monotonic() - started < 1.0
        assert (await wait_for(statuses, 1))[0]["targetStatusChanged"] == {
            "id": encode("Target", target.id),
            "status": "UP",
        }

        # A majority of regions fails: DOWN, and an incident opens.
        down = [probe_result(target, r, "DOWN", due_ms=2, error="refused") for r in REGIONS[:2]]
        await ingest_results(resources, down)
        await process_transitions(resources)
        await wait_for(statuses, 2)
        opened = (await wait_for(incidents, 1))[0]["incidents"]
        assert opened["resolvedAt"] is None
        assert opened["target"] == {"id": encode("Target", target.id)}

        # Back up: the incident resolves.
        await ingest_results(resources, [probe_result(target, r, due_ms=3) for r in REGIONS])
        await process_transitions(resources)
        resolved = (await wait_for(incidents, 2))[1]["incidents"]
        assert resolved["id"] == opened["id"]
        assert resolved["resolvedAt"] is not None
        assert [s["targetStatusChanged"]["status"] for s in await wait_for(statuses, 3)] == [
            "UP",
            "DOWN",
            "UP",
        ]
        for task in tasks:
            task.cancel()
    assert [r["checkResults"]["status"] for r in results.results[3:5]] == ["DOWN", "DOWN"]
