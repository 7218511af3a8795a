"""A real uvicorn server in the test's event loop (relay started), serving websockets
with the protocol class `hitflow api` uses. Fixtures: `start_live` (any number of
servers) and `live` (one)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
import uvicorn

from api.app import create_app
from api.live.relay import Relay
from api.live.wsprotocol import LeanWebSocketProtocol
from api.resources import Resources


@dataclass
class LiveServer:
    url: str
    app: Any
    server: uvicorn.Server

    @property
    def relay(self) -> Relay:
        relay: Relay = self.app.state.live_relay
        return relay


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
