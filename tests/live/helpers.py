"""Live-update clients: gql subscriptions over both websocket subprotocols, raw sockets
for close codes, and events published as the core worker does."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from api.events import publish
from api.live.relay import Relay
from api.resources import Resources
from api.targets.models import Target

TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL  # graphql-transport-ws
LEGACY_WS = WebsocketsTransport.APOLLO_SUBPROTOCOL  # graphql-ws
_checks = itertools.count(1)


def transport(url: str, token: str | None, subprotocol: str = TRANSPORT_WS) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=url,
        init_payload={"authorization": f"Bearer {token}"} if token else {},
        subprotocols=[subprotocol],
        connect_timeout=5,
        ack_timeout=5,
        close_timeout=2,
    )


class Subscription:
    """A gql client subscribed to one document; results are collected in the background."""

    def __init__(self, client: Client, session: Any, document: str, variables: dict[str, Any]):
        self.client = client
        self.results: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self._task = asyncio.create_task(self._run(session, document, variables))

    async def _run(self, session: Any, document: str, variables: dict[str, Any]) -> None:
        try:
            request = GraphQLRequest(document, variable_values=variables)
            async for result in session.subscribe(request):
                self.results.append(result)
        except BaseException as exc:  # kept for the test to assert on
            self.error = exc

    async def wait_results(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.results) < count:
            if self._task.done():
                raise AssertionError(f"subscription ended: {self.error!r}")
            assert time.monotonic() < deadline, f"got {len(self.results)} of {count} results"
            await asyncio.sleep(0.01)
        return self.results

    async def wait_error(self, timeout: float = 5.0) -> BaseException:
        await asyncio.wait_for(asyncio.shield(self._task), timeout)
        assert self.error is not None, "the subscription ended without error"
        return self.error

    def cancel(self) -> None:
        self._task.cancel()


@contextlib.asynccontextmanager
async def subscribed(
    url: str,
    token: str | None,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    subprotocol: str = TRANSPORT_WS,
) -> AsyncIterator[Subscription]:
    client = Client(transport=transport(url, token, subprotocol))
    async with client as session:
        subscription = Subscription(client, session, document, variables or {})
        try:
            yield subscription
        finally:
            subscription.cancel()
            with contextlib.suppress(BaseException):
                await subscription._task


async def wait_subscribers(relay: Relay, workspace_id: int, count: int = 1) -> None:
    deadline = time.monotonic() + 5
    while relay.subscriber_count(workspace_id) < count:
        assert time.monotonic() < deadline, "the subscription never reached the relay"
        await asyncio.sleep(0.01)


async def open_socket(url: str, token: str, subprotocol: str = TRANSPORT_WS) -> ClientConnection:
    """A raw websocket, initialised with the token (for close codes)."""
    ws = await connect(url, subprotocols=[Subprotocol(subprotocol)])
    init = "connection_init"
    await ws.send(json.dumps({"type": init, "payload": {"authorization": f"Bearer {token}"}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ack["type"] == "connection_ack", ack
    return ws


async def closed_code(ws: ClientConnection, timeout: float = 3.0) -> int | None:
    """The code the server closes the socket with, or None if it stays open `timeout` s."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()  # keep-alive pings may arrive first
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        return None


def result_payload(target: Target, **overrides: Any) -> dict[str, Any]:
    """A CheckResult row as the ingest publishes it (every column, by attribute name)."""
    number = next(_checks)
    values: dict[str, Any] = {
        "id": 1000 + number,
        "check_id": f"check-{number}",
        "target_id": target.id,
        "region": "eu-west",
        "checked_at": datetime.now(UTC).isoformat(),
        "status": "UP",
        "response_time_ms": 123.5,
        "dns_ms": 1.5,
        "connect_ms": 2.5,
        "tls_ms": 10.0,
        "first_byte_ms": 100.0,
        "transfer_ms": 9.5,
        "http_status": 200,
        "error": None,
        "certificate_expires_at": None,
        "in_maintenance": False,
    }
    values.update(overrides)
    return values


async def publish_result(resources: Resources, target: Target, **overrides: Any) -> dict:
    result = result_payload(target, **overrides)
    await publish(
        resources.redis,
        "check_result",
        workspaceId=target.workspace_id,
        targetId=target.id,
        result=result,
    )
    return result
