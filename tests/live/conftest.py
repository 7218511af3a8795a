"""Live-update fixtures: a real uvicorn server in the test's event loop (relay started),
real websocket clients (gql), and helpers to publish events as the core worker does."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest_asyncio
import uvicorn
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from tortoise import connections

from api.app import create_app
from api.events import publish
from api.live.relay import Relay
from api.live.wsprotocol import LeanWebSocketProtocol
from api.resources import Resources
from api.targets.models import Target
from api.workspaces.models import Workspace

# Pub/sub channels are shared by every database of a Redis server: other suites running at
# the same time on the shared Redis publish events for workspace/user 1, 2, ... too. Our
# rows start at a random high id so that foreign events never match our subscribers.
_ID_TABLES = ("users", "workspaces", "targets", "incidents")


@pytest_asyncio.fixture(autouse=True)
async def _distinct_ids(db: Any) -> None:
    connection = connections.get("default")
    base = random.randint(10**6, 2 * 10**9)
    for table in _ID_TABLES:
        if connection.capabilities.dialect == "sqlite":
            await connection.execute_query(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", [table, base]
            )
        else:
            await connection.execute_query(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {base})"
            )


TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL  # graphql-transport-ws
LEGACY_WS = WebsocketsTransport.APOLLO_SUBPROTOCOL  # graphql-ws
_checks = itertools.count(1)


@dataclass
class LiveServer:
    url: str
    app: Any
    server: uvicorn.Server

    @property
    def relay(self) -> Relay:
        return self.app.state.live_relay  # type: ignore[no-any-return]


async def _serve(resources: Resources, sock: socket.socket) -> tuple[uvicorn.Server, Any, Any]:
    app = create_app(resources, start_services=True)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws_ping_interval=None,
        ws=LeanWebSocketProtocol,  # the protocol class `hitflow api` serves websockets with
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 10
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.01)
    return server, app, task


@pytest_asyncio.fixture
async def start_live(resources: Resources) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """Start a server; `send_buffer` shrinks the sockets' kernel send buffer (slow clients)."""
    running: list[tuple[uvicorn.Server, Any, socket.socket]] = []

    async def start(send_buffer: int | None = None) -> LiveServer:
        sock = socket.socket()
        if send_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server, app, task = await _serve(resources, sock)
        running.append((server, task, sock))
        return LiveServer(url=f"ws://127.0.0.1:{port}/graphql", app=app, server=server)

    yield start
    for server, task, sock in running:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        sock.close()


@pytest_asyncio.fixture
async def live(start_live: Callable[..., Awaitable[LiveServer]]) -> LiveServer:
    return await start_live()


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


async def create_target(workspace: Workspace, name: str = "site") -> Target:
    return await Target.create(
        workspace=workspace,
        name=name,
        kind="HTTP",
        config={"url": "https://example.test/"},
        interval_seconds=60,
        regions=["eu-west"],
    )


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
