"""The HTTP probe's own HTTP/1.1 client on the wire, against real local servers that
answer byte for byte: body framings, the read cap, broken and stalling servers, the
request it sends, and no connection left open whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
import struct
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import trustme

from api.core.netguard import Guard
from tests.probes.conftest import check, server_context
from tests.probes.servers import HTTPServer, RawServer, send
from workers.probes.base import ProbeContext

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@contextlib.asynccontextmanager
async def serving(answer: Any, ssl_context: Any = None) -> AsyncIterator[RawServer]:
    server = await RawServer(answer, ssl_context).start()
    try:
        yield server
    finally:
        await server.stop()


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


async def stall_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def test_a_chunked_body_is_reassembled(pctx):
    async with serving(send(CHUNKED + chunked(b"hel", b"lo wor", b"ld"))) as server:
        result = await check(pctx, "HTTP", {"url": server.base + "/", "keyword": "hello world"})
    assert result["status"] == "UP", result
    assert result["http_status"] == 200
    assert result["first_byte_ms"] is not None and result["transfer_ms"] is not None


async def test_a_body_without_framing_is_read_to_the_end_of_the_connection(pctx, ca):
    payload = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"x" * 5000 + b"tail"
    for context in (None, server_context(ca)):  # plain and TLS (close_notify, then EOF)
        async with serving(send(payload), context) as server:
            result = await check(pctx, "HTTP", {"url": server.base + "/", "keyword": "tail"})
        assert result["status"] == "UP", (context, result)


async def test_the_cap_stops_the_read_even_when_the_server_keeps_sending(ca_file, keyring):
    pctx = ProbeContext(guard=Guard(True), keyring=keyring, extra_ca_file=ca_file, body_limit=1000)

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(CHUNKED)
        while True:  # never ends: only the cap can end the read before the timeout
            writer.write(b"64\r\n" + b"y" * 100 + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.001)

    async with serving(endless) as server:
        started = time.monotonic()
        capped = await check(pctx, "HTTP", {"url": server.base + "/", "keyword": "NEEDLE"})
        json = await check(pctx, "HTTP", {"url": server.base + "/", "jsonPath": "$.a"})
        elapsed = time.monotonic() - started
    assert capped["status"] == "DOWN"
    assert (
        capped["error"]
        == "KEYWORD_MISSING: 'NEEDLE' not found in the first bytes read (body capped)"
    )
    assert json["error"] == "JSON_PATH: body larger than the read limit"
    assert elapsed < 3  # not the 5 s timeout


async def test_a_body_exactly_at_the_cap_is_not_truncated(ca_file, keyring):
    pctx = ProbeContext(guard=Guard(True), keyring=keyring, extra_ca_file=ca_file, body_limit=10)
    payload = b'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"a": 123}'
    async with serving(send(payload)) as server:
        result = await check(pctx, "HTTP", {"url": server.base + "/", "jsonPath": "$.a"})
    assert result["status"] == "UP", result


async def test_a_server_closing_mid_body_is_a_read_error(pctx):
    cases = {
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
        + b"z" * 10: "(received 10 bytes, expected 100)",
        CHUNKED + b"50\r\nhello": "(incomplete chunked read)",
    }
    for payload, detail in cases.items():
        async with serving(send(payload)) as server:
            result = await check(pctx, "HTTP", {"url": server.base + "/"})
        assert result["status"] == "DOWN"
        assert result["error"] == (
            f"READ_ERROR: peer closed connection without sending complete message body {detail}"
        )
        assert result["http_status"] is None


async def test_a_connection_reset_mid_body_is_a_read_error(pctx):
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
        await writer.drain()
        await asyncio.sleep(0.05)
        sock = writer.get_extra_info("socket")
        # SO_LINGER 0: close() sends RST instead of FIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    async with serving(reset) as server:
        result = await check(pctx, "HTTP", {"url": server.base + "/"})
    assert result["status"] == "DOWN"
    assert result["error"].startswith("READ_ERROR: "), result["error"]


async def test_a_malformed_status_line_is_a_protocol_error(pctx):
    for payload in (b"HTTP/1.1 2x0 OK\r\n\r\n", b"SSH-2.0-OpenSSH_9.6\r\n\r\n"):
        async with serving(send(payload)) as server:
            result = await check(pctx, "HTTP", {"url": server.base + "/"})
        assert result["status"] == "DOWN"
        assert result["error"].startswith("PROTOCOL_ERROR: "), result["error"]
        assert result["http_status"] is None
        assert result["connect_ms"] is not None  # timings up to the failure are kept


async def test_a_server_closing_before_answering_is_a_protocol_error(pctx):
    for payload in (b"", b"HTTP/1.1 200 OK\r\nContent-Le"):
        async with serving(send(payload)) as server:
            result = await check(pctx, "HTTP", {"url": server.base + "/"})
        assert result["error"] == "PROTOCOL_ERROR: Server disconnected without sending a response."


async def test_an_endless_response_head_is_refused(pctx):
    async def endless_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for n in range(100_000):
            writer.write(b"X-Filler-%d: %s\r\n" % (n, b"f" * 100))
            await writer.drain()

    async with serving(endless_head) as server:
        result = await check(pctx, "HTTP", {"url": server.base + "/"})
    assert result["error"] == "PROTOCOL_ERROR: Receive buffer too long"


async def test_a_slow_loris_server_hits_the_timeout(pctx):
    async def drip(data: bytes, writer: asyncio.StreamWriter) -> None:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)

    async def slow_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await drip(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + b"X: y\r\n" * 1000, writer)

    async def slow_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        await drip(b"b" * 1000, writer)

    for answer in (slow_head, slow_body):
        async with serving(answer) as server:
            started = time.monotonic()
            result = await check(pctx, "HTTP", {"url": server.base + "/"}, timeout=0.5)
            assert time.monotonic() - started < 2
        assert result["status"] == "DOWN"
        assert result["error"] == "TIMEOUT: no complete answer within 0.5 s", answer


async def test_framings_httpcore_accepted_still_work(pctx):
    answers = {
        "HEAD": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",  # no body follows a HEAD
        "GET": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    }
    for method, payload in answers.items():
        async with serving(send(payload)) as server:
            result = await check(pctx, "HTTP", {"url": server.base + "/", "method": method})
        assert result["status"] == "UP" and result["http_status"] == 200, (method, result)
    lenient = {
        "bare LF": b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
        "obs-fold": b"HTTP/1.1 200 OK\r\nX-A: a\r\n  b\r\nContent-Length: 5\r\n\r\nhello",
        "control char": b"HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 5\r\n\r\nhello",
        "length and chunked": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunked(b"hello"),
    }
    for name, payload in lenient.items():
        async with serving(send(payload)) as server:
            result = await check(pctx, "HTTP", {"url": server.base + "/", "keyword": "hello"})
        assert result["status"] == "UP", (name, result)
    switching = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    async with serving(send(switching)) as server:
        result = await check(pctx, "HTTP", {"url": server.base + "/"})
    assert result["error"].startswith("PROTOCOL_ERROR: 101"), result
    gzip_coding = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz"
    async with serving(send(gzip_coding)) as server:
        result = await check(pctx, "HTTP", {"url": server.base + "/"})
    assert result["error"] == "PROTOCOL_ERROR: Only Transfer-Encoding: chunked is supported"


async def test_the_request_sent(pctx):
    async with serving(send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) as server:
        config = {"url": server.base + "/a/b;p?q=1&r=2#frag", "headers": {"X-One": "1"}}
        await check(pctx, "HTTP", config)
        await check(pctx, "HTTP", {"url": server.base, "method": "POST", "body": "ping"})
    get, post = server.heads
    assert get.startswith(b"GET /a/b;p?q=1&r=2 HTTP/1.1\r\n"), get
    lines = get.split(b"\r\n")
    assert b"host: 127.0.0.1:%d" % server.port in lines
    assert b"user-agent: Hitflow-Monitor/1.0" in lines and b"x-one: 1" in lines
    assert b"Connection: close" in lines
    assert post.startswith(b"POST / HTTP/1.1\r\n") and b"content-length: 4" in post


async def test_a_header_value_with_a_line_break_is_never_sent_nor_shown(pctx):
    async with serving(send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) as server:
        config = {"url": server.base + "/", "headers": {"X-Token": "s3cret\r\nX-Evil: 1"}}
        result = await check(pctx, "HTTP", config)
    assert result["error"] == "PROTOCOL_ERROR: Illegal value in header 'x-token'"
    assert "s3cret" not in result["error"]
    assert server.heads == []


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_no_connection_is_left_open_whatever_the_outcome(pctx, ca):
    gc.collect()
    before = open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        ok = await HTTPServer().start()
        tls = await HTTPServer(server_context(ca)).start()
        untrusted = await HTTPServer(server_context(trustme.CA())).start()
        try:
            async with (
                serving(send(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc")) as short,
                serving(send(b"BAD STATUS\r\n\r\n")) as bad,
                serving(stall_forever) as stall,
            ):
                urls = [
                    (ok.base + "/", "UP"),
                    (ok.base + "/big", "UP"),  # capped at 1 MB
                    (tls.base + "/", "UP"),
                    (tls.base + "/big", "UP"),
                    (untrusted.base + "/", "TLS_ERROR"),
                    (short.base + "/", "READ_ERROR"),
                    (bad.base + "/", "PROTOCOL_ERROR"),
                    (stall.base + "/", "TIMEOUT"),
                    (f"https://127.0.0.1:{stall.port}/", "TIMEOUT"),  # during the handshake
                    (f"http://127.0.0.1:{free_port()}/", "CONNECT_ERROR"),
                ]
                ports = {ok.port, tls.port, untrusted.port, short.port, bad.port, stall.port}
                for _ in range(3):
                    results = await asyncio.gather(
                        *(check(pctx, "HTTP", {"url": u}, timeout=0.5) for u, _ in urls)
                    )
                    for (url, expected), result in zip(urls, results, strict=True):
                        got = result["status"] if expected == "UP" else result["error"]
                        assert got.startswith(expected), (url, result)
                    await asyncio.sleep(0.05)
                    # The servers still run (one stalls, keeping its side open): every
                    # socket of the client side must be closed already.
                    assert client_sockets(ports) == 0
        finally:
            for server in (ok, tls, untrusted):
                await server.stop()
        await asyncio.sleep(0.1)  # transports close their sockets on the next iterations
        gc.collect()
    assert open_fds() <= before
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_sockets(server_ports: set[int]) -> int:
    """Sockets of this machine still open (inode != 0) towards one of `server_ports`."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port in server_ports and int(fields[9]) != 0:
                    count += 1
    return count
