"""A lean HTTP/1.1 keep-alive client for load tests, and a flood process built on it.

The client costs ~0.1 ms of CPU per request (httpx costs ~2 ms), so that what a load test
measures is the server. Run as a process, it is the flooding tenant:

    python -m tests.platform.loadclient HOST PORT TOKEN BODY_FILE CLIENTS PAUSE

reads commands on stdin: `go` starts CLIENTS parallel clients, each posting BODY_FILE to
/graphql then sleeping PAUSE seconds, again and again; `stop` stops them and prints one
JSON line `{"answers": {code: count}}`; end of input exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any


class Connection:
    """One keep-alive connection posting JSON to /graphql."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host = host
        self.port = port
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """POST /graphql; returns the status and the decoded JSON answer."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, json.loads(payload)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def code_of(body: dict[str, Any]) -> str | None:
    errors = body.get("errors")
    return str(errors[0].get("extensions", {}).get("code")) if errors else None


async def _flood(argv: list[str]) -> None:
    host, port, token, body_file, clients, pause = argv
    body = open(body_file, "rb").read()
    answers: Counter[str] = Counter()
    running = asyncio.Event()

    async def client() -> None:
        connection = Connection(host, int(port), token)
        try:
            while running.is_set():
                answers["sent"] += 1
                try:
                    status, answer = await connection.post(body)
                    answers[f"{status} {code_of(answer)}"] += 1
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    answers[type(exc).__name__] += 1
                    await connection.close()
                await asyncio.sleep(float(pause))
        finally:
            await connection.close()

    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "go":
            answers.clear()
            running.set()
            tasks = [asyncio.create_task(client()) for _ in range(int(clients))]
            print("going", flush=True)
        elif line == "stop":
            # Requests still waiting (the server may hold them for seconds) are dropped.
            running.clear()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            print(json.dumps({"answers": dict(answers)}), flush=True)
        else:
            running.clear()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return


if __name__ == "__main__":
    asyncio.run(_flood(sys.argv[1:]))
