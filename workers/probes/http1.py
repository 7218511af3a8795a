"""The probe's HTTP/1.1 client: one request on a new connection, nothing kept alive.

Built on asyncio's own transports and protocols, with llhttp (httptools) parsing the
response. httpcore over anyio and h11 cost ~5x a raw socket GET in CPU per check
(cancel scopes, trace plumbing, h11's event objects: bench/probe_cpu.py); a check
needs far less than a general client: connect to one already vetted IP, TLS with the
host's name for SNI and certificate checks, one request, one response read up to a cap.

Behaviour kept from the httpcore client it replaces: the request bytes (plus
`Connection: close`), h11's header checks, its tolerance of bare LF line endings and
of Content-Length next to chunked, its 100 KiB bound on the response head, its
refusal of transfer codings other than chunked, 1xx interim responses skipped, the
error codes and the messages of the common failures. Nothing is decompressed.
Known differences: llhttp refuses a repeated identical Content-Length (h11 took it)
and skips empty lines before the status line (h11 refused them).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

# h11 (httpcore's parser) refused an incomplete response head beyond 100 KiB; llhttp has
# no bound of its own.
MAX_HEAD_BYTES = 100 * 1024

# The request's syntax, as h11 checked it before sending (h11/_abnf.py).
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_FIELD_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
_TARGET = re.compile(rb"[\x21-\x7e]+")


class ExchangeFailed(Exception):
    """The exchange failed: `code` is CONNECT_ERROR, TLS_ERROR, PROTOCOL_ERROR or
    READ_ERROR; `in_body` when the response head had arrived; `timings` what was measured."""

    def __init__(self, code: str, message: str, *, in_body: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.in_body = in_body
        self.timings: dict[str, float] = {}


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    truncated: bool  # the body went past the limit: `body` holds its first `limit` bytes
    peer_certificate: bytes | None  # DER, https only (read even when not verified)
    timings: dict[str, float]  # connect_ms, tls_ms (https), first_byte_ms, transfer_ms


def request_target(url: str) -> bytes:
    """Path and query of `url`, as sent on the request line."""
    parts = urlsplit(url)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    try:
        return target.encode("ascii")
    except UnicodeEncodeError:
        raise ExchangeFailed("PROTOCOL_ERROR", "URL with non-ASCII characters") from None


def request_head(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The request line and headers, checked as h11 checked them (no header injection).
    A header value never appears in an error message: it may be a credential."""
    if not _TOKEN.fullmatch(method):
        raise ExchangeFailed("PROTOCOL_ERROR", "Illegal method characters")
    if not _TARGET.fullmatch(target):
        raise ExchangeFailed("PROTOCOL_ERROR", "Illegal target characters")
    lines = [method + b" " + target + b" HTTP/1.1"]
    close = True
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise ExchangeFailed("PROTOCOL_ERROR", f"Illegal header name {name[:100]!r}")
        if not _FIELD_VALUE.fullmatch(value):
            raise ExchangeFailed("PROTOCOL_ERROR", f"Illegal value in header {name.decode()!r}")
        if name.lower() == b"connection":
            close = False
        lines.append(name + b": " + value)
    if close:  # one request per connection; the server may close as soon as it answered
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def exchange(
    *,
    address: str,
    port: int,
    host: str,
    ssl_context: ssl.SSLContext | None,
    method: str,
    url: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    body_limit: int,
) -> Response:
    """Connect to `address` (the vetted IP), TLS for `host` when `ssl_context` is given,
    send one request and read the response. Raise ExchangeFailed; a timeout is the
    caller's (asyncio.timeout): the connection is closed whatever happens."""
    head = request_head(method.encode("ascii", "replace"), request_target(url), headers)
    loop = asyncio.get_running_loop()
    reader = _ResponseReader(loop, body_limit, head_only=method == "HEAD")
    timings: dict[str, float] = {}
    transport: asyncio.Transport | None = None
    try:
        started = time.perf_counter()
        try:
            transport, _ = await loop.create_connection(lambda: reader, address, port)
        except TimeoutError:  # the kernel's (ETIMEDOUT): a TIMEOUT, as httpcore reported it
            raise
        except OSError as exc:
            raise _failed("CONNECT_ERROR", exc, timings) from None
        connected = time.perf_counter()
        timings["connect_ms"] = (connected - started) * 1000
        if ssl_context is not None:
            try:
                wrapped = await loop.start_tls(
                    transport, reader, ssl_context, server_hostname=host.encode("idna").decode()
                )
            except TimeoutError:  # ssl_handshake_timeout: a TIMEOUT, as with httpcore
                raise
            except (OSError, RuntimeError) as exc:  # RuntimeError: closed during the handshake
                raise _failed("TLS_ERROR", exc, timings) from None
            if wrapped is None:
                raise _failed("TLS_ERROR", ConnectionResetError("closed during handshake"), timings)
            transport = wrapped
            timings["tls_ms"] = (time.perf_counter() - connected) * 1000
        transport.write(head + body if body else head)
        sent = time.perf_counter()
        await reader.done
        if reader.error is not None:
            reader.error.timings = timings
            raise reader.error
        assert reader.headers_at is not None and reader.end is not None
        timings["first_byte_ms"] = (reader.headers_at - sent) * 1000
        timings["transfer_ms"] = (reader.end - reader.headers_at) * 1000
        certificate = None
        if ssl_context is not None:
            ssl_object = transport.get_extra_info("ssl_object")
            certificate = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        return Response(
            reader.status,
            reader.headers,
            bytes(reader.body),
            reader.truncated,
            certificate,
            timings,
        )
    finally:
        # abort: no TLS close_notify exchange (httpcore sent none either), the socket is
        # closed on the next loop iteration whatever the peer does.
        if transport is not None:
            transport.abort()


def _failed(code: str, exc: BaseException, timings: dict[str, float]) -> ExchangeFailed:
    failure = ExchangeFailed(code, str(exc) or type(exc).__name__)
    failure.timings = timings
    return failure


class _ResponseReader(asyncio.Protocol):
    """Feeds llhttp and collects one response; `done` resolves when it is complete,
    capped or failed (then `error` is set)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int, *, head_only: bool) -> None:
        self.done: asyncio.Future[None] = loop.create_future()
        self.limit = limit
        self.head_only = head_only
        self.parser = httptools.HttpResponseParser(self)
        # What h11 accepted: bare LF line ends, Content-Length next to chunked (chunked
        # wins), control characters and obs-fold in header values. (The "danger" is request
        # smuggling through a proxy; here one response is read and the connection closed.)
        self.parser.set_dangerous_leniencies(
            lenient_optional_cr_before_lf=True, lenient_chunked_length=True, lenient_headers=True
        )
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.truncated = False
        self.interim = False
        self.content_length: bytes | None = None
        self.codings: list[bytes] = []
        self.head_bytes = 0
        self.headers_at: float | None = None
        self.end: float | None = None
        self.error: ExchangeFailed | None = None

    # --- asyncio.Protocol

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # after a 101, already failed
            pass
        except httptools.HttpParserError as exc:
            self._fail("PROTOCOL_ERROR", str(exc) or type(exc).__name__)
        if self.headers_at is None and not self.done.done():
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                self._fail("PROTOCOL_ERROR", "Receive buffer too long")

    def eof_received(self) -> bool | None:
        self._eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._fail("READ_ERROR", str(exc) or type(exc).__name__)
        self._eof()

    # --- httptools callbacks

    def on_message_begin(self) -> None:
        self.headers = []
        self.content_length, self.codings = None, []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length":
            self.content_length = value
        elif lowered == b"transfer-encoding":
            self.codings += [c.strip().lower() for c in value.split(b",")]

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status == 101:  # we never ask for an upgrade
            self._fail("PROTOCOL_ERROR", "101 Switching Protocols without an upgrade asked")
            return
        if 100 <= status < 200:
            self.interim = True  # 100 Continue, 103 Early Hints...: the answer follows
            return
        if self.codings and self.codings != [b"chunked"]:
            self._fail("PROTOCOL_ERROR", "Only Transfer-Encoding: chunked is supported")
            return
        self.status = status
        self.headers_at = time.perf_counter()
        if self.head_only:
            self._complete()

    def on_body(self, chunk: bytes) -> None:
        if self.done.done():
            return
        self.body += chunk
        if len(self.body) > self.limit:
            self.truncated = True
            del self.body[self.limit :]
            self._complete()

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        self._complete()

    # --- outcome

    def _eof(self) -> None:
        if self.done.done():
            return
        if self.headers_at is None:
            self._fail("PROTOCOL_ERROR", "Server disconnected without sending a response.")
        elif self.codings:
            self._fail("READ_ERROR", _incomplete("incomplete chunked read"))
        elif self.content_length is not None:
            expected = self.content_length.decode("latin-1").strip()
            self._fail(
                "READ_ERROR", _incomplete(f"received {len(self.body)} bytes, expected {expected}")
            )
        else:  # no framing: the body runs to the end of the connection
            self._complete()

    def _complete(self) -> None:
        if not self.done.done():
            self.end = time.perf_counter()
            self.done.set_result(None)

    def _fail(self, code: str, message: str) -> None:
        if not self.done.done():
            in_body = self.headers_at is not None
            # Whatever breaks once the head is in is a read error (as with httpcore).
            self.error = ExchangeFailed("READ_ERROR" if in_body else code, message, in_body=in_body)
            self.done.set_result(None)


def _incomplete(detail: str) -> str:
    return f"peer closed connection without sending complete message body ({detail})"
