"""A client that does not read its events is disconnected (close 4008) instead of
growing the server's memory; a client that keeps up is unaffected."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import TRANSPORT_WS, publish_result, subscribed, wait_subscribers

RESULTS = "subscription($w: ID) { checkResults(workspaceId: $w) { id error } }"


@pytest.fixture
def settings_overrides() -> dict:
    return {"live_queue_size": 4}


async def test_a_client_that_does_not_read_is_disconnected_as_too_slow(
    start_live, resources, settings
) -> None:
    live = await start_live(send_buffer=4096)
    account = await create_account(settings)
    target = await create_target(account.workspace)
    variables = {"w": account.workspace_gid}

    # A client with a tiny receive buffer that subscribes and then stops reading.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(live.url.rsplit(":", 1)[1].split("/")[0])))
    slow = await connect(live.url, sock=sock, subprotocols=[TRANSPORT_WS], max_queue=4)
    init = {"authorization": f"Bearer {account.token}"}
    await slow.send(json.dumps({"type": "connection_init", "payload": init}))
    assert json.loads(await slow.recv())["type"] == "connection_ack"
    subscribe = {"query": RESULTS, "variables": variables}
    await slow.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
    slow.transport.pause_reading()  # stop reading: the kernel buffers fill, then the server's

    async with subscribed(live.url, account.token, RESULTS, variables) as healthy:
        await wait_subscribers(live.relay, account.workspace.id, 2)
        # When events keep coming (each about 1 KB, incompressible: permessage-deflate is on)
        sent = 0
        deadline = time.monotonic() + 30
        while live.relay.dropped_slow == 0:
            assert time.monotonic() < deadline, "the slow client was never disconnected"
            await publish_result(resources, target, error=secrets.token_hex(500))
            sent += 1
            if sent % 20 == 0:
                await healthy.wait_results(sent)  # the healthy client keeps up
        await publish_result(resources, target, error="after")
        sent += 1

        # Then the slow one is closed with 4008 once it reads again, the other keeps going
        slow.transport.resume_reading()
        code = None
        try:
            async with asyncio.timeout(10):
                async for _ in slow:
                    pass
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
        else:
            code = slow.close_code
        assert code == 4008
        assert slow.close_reason.startswith("Too slow")
        results = await healthy.wait_results(sent)
        assert results[-1]["checkResults"]["error"] == "after"
    assert live.relay.subscriber_count(account.workspace.id) == 0
