"""Queries and mutations sent over a raw graphql-transport-ws socket (tests/live/helpers.py
opens it)."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection

_ids = itertools.count(1)


async def ws_op(
    ws: ClientConnection, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run one operation on the socket: its result ({"data", "errors"}), or for an
    `error` message {"errors": [...]} (the operation was refused before execution)."""
    op_id = f"op{next(_ids)}"
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
    result: dict[str, Any] = {}
    async with asyncio.timeout(5):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            if message.get("id") != op_id:
                continue
            if message["type"] == "next":
                result = message["payload"]
            elif message["type"] == "error":
                return {"errors": message["payload"]}
            elif message["type"] == "complete":
                return result


def codes(result: dict[str, Any]) -> list[str]:
    """The extensions.code of each top-level error of a result."""
    return [e.get("extensions", {}).get("code") for e in result.get("errors") or []]
