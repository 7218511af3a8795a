"""A local HTTP server standing in for every provider's documented API.

It records each request and answers what the test scripted (status, headers, body,
delay) for a path, or 200 {"ok": true} by default.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    echo: bool = False  # answer with the request itself, as some APIs do in errors


class Receiver:
    def __init__(self, port: int) -> None:
        self.port = port
        self.requests: list[Received] = []
        self.scripts: dict[str, list[Answer]] = {}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, path: str, *answers: Answer) -> None:
        """Answer the next requests to `path` (prefix) with `answers`, in order."""
        self.scripts.setdefault(path, []).extend(answers)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path.startswith(path)]

    async def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.at(path)) < count:
            if loop.time() > end:
                raise AssertionError(f"expected {count} request(s) to {path}, got {self.at(path)}")
            await asyncio.sleep(0.02)
        return self.at(path)

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(
            Received(
                method=request.method,
                path=request.url.path,
                query=parse_qs(request.url.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
            )
        )
        answer = Answer()
        for prefix, queue in self.scripts.items():
            if request.url.path.startswith(prefix) and queue:
                answer = queue.pop(0)
                break
        if answer.delay:
            await asyncio.sleep(answer.delay)
        payload = answer.body if answer.body is not None else {"ok": True, "result": {}}
        if answer.echo:
            payload = f"{request.url} {dict(request.headers)} {body.decode(errors='replace')}"
        content = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        return Response(
            content,
            status_code=answer.status,
            headers=answer.headers,
            media_type="application/json",
        )

    async def start(self) -> None:
        app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT"])]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await self._task
