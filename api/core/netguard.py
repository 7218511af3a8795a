"""SSRF guard: resolve a host, vet the IP that will actually be connected to.

Probes and outbound notification calls (webhooks) must never reach loopback, private,
link-local, CGNAT, multicast, unspecified, reserved or cloud-metadata addresses unless
the operator allows private networks (`HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS`).

The check is made on the resolved IP, and the connection is then made to that very IP
(not re-resolved), so a DNS answer that changes between check and connect (DNS
rebinding) cannot slip through. Redirects are followed by the caller, one vetted hop at
a time.

For httpx users (webhooks): `guarded_transport(allow_private)` returns an
`httpx.AsyncHTTPTransport` whose connections are vetted the same way.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from api.core.errors import UnsafeTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_BLOCKED_V4 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this" network
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "240.0.0.0/4",  # reserved
        "255.255.255.255/32",
    )
)


def refusal_reason(ip: IPAddress | str) -> str | None:
    """Why this address must not be reached from a probe, or None when it is public."""
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d, 64:ff9b::a.b.c.d (NAT64) and 6to4 embed an IPv4 address.
        mapped = addr.ipv4_mapped or _nat64(addr) or addr.sixtofour
        if mapped is not None:
            reason = refusal_reason(mapped)
            if reason:
                return reason
    if addr in METADATA_ADDRESSES:
        return "cloud metadata address"
    if addr.is_loopback:
        return "loopback address"
    if addr.is_unspecified:
        return "unspecified address"
    if addr.is_link_local:
        return "link-local address"
    if addr.is_multicast:
        return "multicast address"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return "shared (CGNAT) address"
    if isinstance(addr, ipaddress.IPv4Address) and any(addr in n for n in _BLOCKED_V4):
        return "reserved address"
    if addr.is_reserved:
        return "reserved address"
    if addr.is_private:
        return "private address"
    if isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local:
        return "site-local address"
    return None


def _is_metadata(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or _nat64(addr) or addr.sixtofour
        if embedded is not None:
            addr = embedded
    return addr in METADATA_ADDRESSES


def _nat64(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


class Guard:
    """Resolves hosts and vets addresses. Subclass `resolve`/`dial_address` in tests."""

    # Verdicts are cached per IP address (never per host name: DNS answers change, and
    # every connection is still vetted on the address it really connects to), in a
    # bounded LRU with a short TTL: a probe checks the same few thousand addresses over
    # and over, and judging one parses it and walks the special ranges each time.
    VERDICT_CACHE_SIZE = 4096
    VERDICT_TTL_SECONDS = 60.0

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._verdicts: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host` (literal IPs answer themselves, without a lookup)."""
        literal = _literal_ip(host)
        if literal is not None:
            return [literal]
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        seen: list[str] = []
        for info in infos:
            ip = str(info[4][0]).split("%", 1)[0]
            if ip not in seen:
                seen.append(ip)
        return seen

    def check_ip(self, ip: str) -> None:
        reason = self.verdict(ip)
        if reason:
            raise UnsafeTarget(f"{ip} is a {reason}")

    def verdict(self, ip: str) -> str | None:
        """Why this address is refused (None: allowed), from the cache when fresh."""
        now = time.monotonic()
        cached = self._verdicts.get(ip)
        if cached is not None and cached[0] > now:
            self._verdicts.move_to_end(ip)
            return cached[1]
        reason = self.judge(ip)
        self._verdicts[ip] = (now + self.VERDICT_TTL_SECONDS, reason)
        self._verdicts.move_to_end(ip)
        if len(self._verdicts) > self.VERDICT_CACHE_SIZE:
            self._verdicts.popitem(last=False)
        return reason

    def judge(self, ip: str) -> str | None:
        if self.allow_private:
            # Private networks may be allowed; cloud metadata endpoints never are.
            return "cloud metadata address" if _is_metadata(ip) else None
        return refusal_reason(ip)

    async def vet(self, host: str, port: int) -> str:
        """Resolve and return the one IP to connect to; raise UnsafeTarget if refused.

        Every answer is checked: a name that resolves to both a public and a private
        address is refused, so the caller cannot be steered by answer order.
        """
        try:
            ips = await self.resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise LookupError(f"cannot resolve {host}: {exc}") from exc
        if not ips:
            raise LookupError(f"cannot resolve {host}: no address")
        for ip in ips:
            self.check_ip(ip)
        return ips[0]

    def dial_address(self, ip: str) -> str:
        """The address the socket really connects to (tests map a fake public IP)."""
        return ip


@functools.lru_cache(maxsize=4096)
def _literal_ip(host: str) -> str | None:
    """The IP a host string spells, or None for a name (pure parsing, safe to cache)."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def literal_refusal(host: str, allow_private: bool) -> str | None:
    """Why `host`, as written, must not be reached (before any DNS), or None.

    For checks when a target or channel is saved: an IP literal that is private, loopback,
    link-local..., or a name that can only mean this machine (localhost, *.localhost, RFC
    6761). Names that resolve to such addresses are caught when connecting (Guard.vet).
    Cloud metadata addresses are refused even when private networks are allowed.
    """
    name = host.strip().rstrip(".").lower()
    literal = _literal_ip(name)
    if literal is None:
        if name == "localhost" or name.endswith(".localhost"):
            return None if allow_private else "loopback name"
        return None
    if _is_metadata(literal):
        return "cloud metadata address"
    return None if allow_private else refusal_reason(literal)


_DEFAULT_GUARDS = {True: Guard(True), False: Guard(False)}


def default_guard(allow_private: bool) -> Guard:
    return _DEFAULT_GUARDS[bool(allow_private)]


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; raise UnsafeTarget on anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    # The URL itself stays out of messages: it may carry credentials (user:pass@host).
    if scheme not in ("http", "https"):
        raise UnsafeTarget(f"not an http(s) URL (scheme {scheme[:20]!r})")
    if not parts.hostname:
        raise UnsafeTarget("URL without a host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("bad port in URL") from exc
    return scheme, parts.hostname, port


async def check_url_safe(url: str, allow_private: bool, guard: Guard | None = None) -> str:
    """Vet an http(s) URL; return the IP to connect to or raise UnsafeTarget.

    Use it before every request and every redirect hop, then connect to the returned IP
    only (see `guarded_transport` for httpx).
    """
    _, host, port = split_url(url)
    guard = guard or default_guard(allow_private)
    try:
        return await guard.vet(host, port)
    except LookupError as exc:
        raise UnsafeTarget(str(exc)) from exc


# --- Connecting only to the vetted IP --------------------------------------------------


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and vets each connection's host, then connects to the vetted IP."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.inner = _shared_backend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            ip = await self.guard.vet(host, port)
        except LookupError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return await self.inner.connect_tcp(
            self.guard.dial_address(ip),
            port,
            timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@functools.cache
def _shared_backend() -> httpcore.AsyncNetworkBackend:
    """One backend per process (it holds no state)."""
    from httpcore._backends.anyio import AnyIOBackend

    return AnyIOBackend()


def guarded_transport(allow_private: bool, guard: Guard | None = None) -> httpx.AsyncHTTPTransport:
    """An httpx transport that vets every connection: a refused address raises UnsafeTarget
    from `client.send()`, an unresolvable host an httpx.ConnectError.

    Redirects must still be followed one hop at a time by the caller (each hop opens a
    new vetted connection through this transport); call `check_url_safe` first to get a
    clear UnsafeTarget error instead of a ConnectError.
    """
    transport = httpx.AsyncHTTPTransport()
    transport._pool._network_backend = GuardedBackend(guard or default_guard(allow_private))
    return transport
