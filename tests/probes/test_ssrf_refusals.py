"""With private networks disallowed, probes refuse internal addresses: on the literal
IP, on what a host name resolves to, and on every redirect hop."""

from __future__ import annotations

import pytest

from api.core.errors import UnsafeTarget
from api.core.netguard import Guard, check_url_safe, refusal_reason
from tests.probes.conftest import check
from workers.probes.base import ProbeContext

PUBLIC_IP = "93.184.216.34"  # looks public to the guard; the test maps it to 127.0.0.1


class NattedGuard(Guard):
    """Private networks refused, but `public.test` resolves to a public-looking IP that
    the socket layer maps to the local server (as a NAT would)."""

    async def resolve(self, host: str, port: int) -> list[str]:
        if host == "public.test":
            return [PUBLIC_IP]
        return await super().resolve(host, port)

    def dial_address(self, ip: str) -> str:
        return "127.0.0.1" if ip == PUBLIC_IP else ip


@pytest.fixture
def strict(keyring) -> ProbeContext:
    return ProbeContext(guard=Guard(False), keyring=keyring)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://10.0.0.1/",
        "http://100.64.1.1/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0:{port}/",
    ],
)
async def test_http_probe_refuses_internal_addresses(strict, http_server, url):
    result = await check(strict, "HTTP", {"url": url.format(port=http_server.port)})
    assert result["status"] == "DOWN"
    assert result["error"].startswith("UNSAFE_TARGET: "), result["error"]
    assert http_server.connections == 0


async def test_redirect_to_a_private_address_is_refused_at_that_hop(keyring, http_server):
    pctx = ProbeContext(guard=NattedGuard(False), keyring=keyring)
    # The first hop is allowed (it looks public) and answers a redirect to loopback.
    ok = await check(pctx, "HTTP", {"url": f"http://public.test:{http_server.port}/"})
    assert ok["status"] == "UP", ok
    redirect = f"http://public.test:{http_server.port}/redirect?to=http://127.0.0.1:{http_server.port}/json"
    result = await check(pctx, "HTTP", {"url": redirect})
    assert result["status"] == "DOWN"
    assert result["error"] == "UNSAFE_TARGET: 127.0.0.1 is a loopback address"
    assert [r["target"] for r in http_server.requests][-1].startswith("/redirect")


async def test_tcp_tls_dns_icmp_refuse_private_addresses(strict, http_server):
    for kind, config in (
        ("TCP", {"host": "127.0.0.1", "port": http_server.port}),
        ("TLS", {"host": "localhost", "port": http_server.port}),
        ("ICMP", {"host": "169.254.169.254"}),
        ("DNS", {"name": "example.com", "nameserver": "192.168.1.1"}),
    ):
        result = await check(strict, kind, config)
        assert result["status"] == "DOWN", kind
        assert result["error"].startswith("UNSAFE_TARGET"), (kind, result["error"])
    assert http_server.connections == 0


async def test_private_addresses_allowed_when_the_operator_says_so(pctx, http_server):
    result = await check(pctx, "HTTP", {"url": f"http://localhost:{http_server.port}/"})
    assert result["status"] == "UP"


async def test_check_url_safe_for_webhooks():
    with pytest.raises(UnsafeTarget, match="loopback"):
        await check_url_safe("http://localhost:9/hook", allow_private=False)
    with pytest.raises(UnsafeTarget, match="metadata"):
        await check_url_safe("http://169.254.169.254/", allow_private=False)
    with pytest.raises(UnsafeTarget, match="http"):
        await check_url_safe("file:///etc/passwd", allow_private=False)
    assert await check_url_safe("http://127.0.0.1:9/", allow_private=True) == "127.0.0.1"
    # Allowing private networks never opens the cloud metadata endpoints.
    with pytest.raises(UnsafeTarget, match="metadata"):
        await check_url_safe("http://169.254.169.254/latest/meta-data/", allow_private=True)
    with pytest.raises(UnsafeTarget, match="metadata"):
        await check_url_safe("http://[::ffff:169.254.169.254]/", allow_private=True)
    assert await check_url_safe(f"https://{PUBLIC_IP}/", allow_private=False) == PUBLIC_IP


async def test_guarded_httpx_transport_refuses_loopback(http_server):
    import httpx

    from api.core.netguard import guarded_transport

    async with httpx.AsyncClient(transport=guarded_transport(False)) as client:
        with pytest.raises(UnsafeTarget):
            await client.get(f"http://localhost:{http_server.port}/")
    async with httpx.AsyncClient(transport=guarded_transport(True)) as client:
        assert (await client.get(f"http://localhost:{http_server.port}/")).status_code == 200


def test_refusal_reasons_cover_the_special_ranges():
    for ip in ("127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.1.1",
               "169.254.169.254", "fd00:ec2::254", "100.64.0.1", "224.0.0.1", "ff02::1",
               "0.0.0.0", "::", "240.0.0.1", "::ffff:10.0.0.1", "fe80::1", "fc00::1"):  # fmt: skip
        assert refusal_reason(ip), ip
    for ip in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"):
        assert refusal_reason(ip) is None, ip


class FlippingGuard(NattedGuard):
    """`flip.test` first resolves to a public-looking IP, then to loopback (rebinding)."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__(allow_private)
        self.answers = [PUBLIC_IP, "127.0.0.1"]

    async def resolve(self, host: str, port: int) -> list[str]:
        if host == "flip.test":
            return [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]
        return await super().resolve(host, port)


async def test_verdicts_are_cached_per_address_not_per_name(keyring, http_server):
    """A name vetted a moment ago that now resolves to loopback is refused at once: the
    cache holds verdicts of addresses, never of names."""
    pctx = ProbeContext(guard=FlippingGuard(False), keyring=keyring)
    url = f"http://flip.test:{http_server.port}/"
    first = await check(pctx, "HTTP", {"url": url})
    assert first["status"] == "UP", first
    second = await check(pctx, "HTTP", {"url": url})
    assert second["status"] == "DOWN"
    assert second["error"] == "UNSAFE_TARGET: 127.0.0.1 is a loopback address"
    assert http_server.connections == 1
    # And a refused address stays refused when it comes from the cache.
    again = await check(pctx, "HTTP", {"url": f"http://127.0.0.1:{http_server.port}/"})
    assert again["error"] == "UNSAFE_TARGET: 127.0.0.1 is a loopback address"
    assert http_server.connections == 1


def test_the_verdict_cache_is_bounded():
    guard = Guard(False)
    for n in range(guard.VERDICT_CACHE_SIZE + 500):
        guard.check_ip(f"8.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
    assert len(guard._verdicts) == guard.VERDICT_CACHE_SIZE
    with pytest.raises(UnsafeTarget):
        guard.check_ip("10.1.2.3")
