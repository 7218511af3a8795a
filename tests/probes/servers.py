"""Real local servers for probe tests: HTTP(S) on 127.0.0.1 and a UDP DNS server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import ssl
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.message
import dns.rcode
import dns.rrset

BIG_BODY = b"x" * 3_000_000 + b"NEEDLE"


class HTTPServer:
    """A tiny HTTP/1.1 server (one request per connection) with test routes."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.requests: list[dict[str, Any]] = []
        self.connections = 0

    @property
    def base(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> HTTPServer:
        self.server = await asyncio.start_server(
            self._handle, "127.0.0.1", port, ssl=self.ssl_context
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1)
            self.server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", 0))
        body = await reader.readexactly(length) if length else b""
        self.requests.append({"method": method, "target": target, "headers": headers, "body": body})
        try:
            status, extra, payload = await self.route(method, target, headers, body)
        except asyncio.CancelledError:
            writer.close()
            raise
        reason = {200: "OK", 301: "Moved", 302: "Found", 303: "See Other", 401: "No"}.get(
            status, "X"
        )
        out = [
            f"HTTP/1.1 {status} {reason}",
            f"Content-Length: {len(payload)}",
            "Connection: close",
        ]
        out += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + payload)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    async def route(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        if path == "/":
            return 200, {"Content-Type": "text/html"}, b"<html>hello world</html>"
        if path == "/json":
            doc = {"status": {"ok": True, "version": "2.1", "items": [{"id": 7}]}}
            return 200, {"Content-Type": "application/json"}, json.dumps(doc).encode()
        if path.startswith("/status/"):
            return int(path.rsplit("/", 1)[1]), {}, b"status"
        if path == "/redirect":
            code = int(query.get("code", 302))
            return code, {"Location": query["to"]}, b""
        if path == "/loop":
            return 302, {"Location": "/loop"}, b""
        if path == "/big":
            return 200, {}, BIG_BODY
        if path == "/slow":
            await asyncio.sleep(3600)
        if path == "/delay":
            await asyncio.sleep(float(query.get("s", 0.2)))
            return 200, {}, b"late"
        if path == "/auth":
            expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
            if headers.get("authorization") == expected:
                return 200, {}, b"authorized"
            return 401, {}, b"who are you"
        if path == "/echo":
            return 200, {}, json.dumps({"method": method, "headers": headers}).encode()
        return 404, {}, b"not found"


class DNSServer(asyncio.DatagramProtocol):
    """Answers A/TXT queries from a dict {(name, type): [values]}; NXDOMAIN otherwise."""

    def __init__(self, records: dict[tuple[str, str], list[str]]) -> None:
        self.records = records
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0
        self.queries = 0

    async def start(self) -> DNSServer:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=("127.0.0.1", 0)
        )
        self.transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("sockname")[1]
        return self

    def stop(self) -> None:
        if self.transport:
            self.transport.close()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queries += 1
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".")
        rdtype = dns.rdatatype.to_text(question.rdtype)
        values = self.records.get((name, rdtype))
        if values is None:
            known_names = {n for n, _ in self.records}
            if name not in known_names:
                response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, "IN", rdtype, values)
            )
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


class RawServer:
    """A TCP (or TLS) server whose answer is written by hand, byte for byte: for what a
    well-behaved HTTPServer never does (chunked bodies, broken framing, stalling)."""

    def __init__(self, answer: Any, ssl_context: ssl.SSLContext | None = None) -> None:
        # `answer(reader, writer)`: a coroutine that writes the response after the head.
        self.answer = answer
        self.ssl_context = ssl_context
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self.heads: list[bytes] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    async def start(self) -> RawServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.server:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            self.heads.append(await reader.readuntil(b"\r\n\r\n"))
            await self.answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()


def send(payload: bytes) -> Any:
    """An answer that writes `payload` and closes the connection."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()

    return answer
