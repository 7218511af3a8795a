"""The relay survives a dropped Redis pub/sub connection, and after the outage it
re-checks the credentials of open sockets (a revocation may have been missed)."""

from __future__ import annotations

import asyncio
import time

from api.accounts.models import Session
from api.core import clock
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import (
    closed_code,
    open_socket,
    publish_result,
    subscribed,
    wait_subscribers,
)

RESULTS = "subscription($w: ID) { checkResults(workspaceId: $w) { id error } }"


async def kill_relay_connection(resources, relay) -> None:  # type: ignore[no-untyped-def]
    clients = await resources.redis.client_list()
    ids = [c["id"] for c in clients if c.get("name") == relay.name]
    assert ids, "the relay's pub/sub connection is not named"
    for client_id in ids:
        await resources.redis.client_kill_filter(_id=client_id)


async def test_events_flow_again_after_the_pubsub_connection_drops(
    live, resources, settings
) -> None:
    account = await create_account(settings)
    target = await create_target(account.workspace)
    async with subscribed(live.url, account.token, RESULTS, {"w": account.workspace_gid}) as sub:
        await wait_subscribers(live.relay, account.workspace.id)
        await publish_result(resources, target, error="before")
        await sub.wait_results(1)

        await kill_relay_connection(resources, live.relay)

        # Events published while it reconnects may be lost (pub/sub is at-most-once);
        # once it is back, they flow again to the same websocket.
        deadline = time.monotonic() + 10
        while not any(r["checkResults"]["error"] == "after" for r in sub.results):
            assert time.monotonic() < deadline, "the relay never reconnected"
            await publish_result(resources, target, error="after")
            await asyncio.sleep(0.1)


async def test_a_revocation_missed_during_an_outage_still_closes_the_socket(
    live, resources, settings
) -> None:
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token)
    # The session is revoked while no event can reach this process.
    await Session.filter(user_id=account.user.id).update(revoked_at=clock.now())
    await kill_relay_connection(resources, live.relay)
    assert await closed_code(ws, timeout=5) == 4401
