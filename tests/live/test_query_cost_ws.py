"""The query cost limit also holds for operations sent over a websocket (issue 11.5)."""

from __future__ import annotations

import asyncio
import json

from tests.factories.accounts import create_account
from tests.live.helpers import open_socket
from tests.platform.test_query_cost import attack


async def test_a_too_costly_query_over_a_websocket_is_refused(live, settings) -> None:
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token)
    try:
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": attack(), "variables": {"ws": account.workspace_gid}},
                }
            )
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    finally:
        await ws.close()

    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert errors[0]["extensions"]["cost"]["limit"] == settings.graphql_max_cost
