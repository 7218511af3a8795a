"""DNS probe (dnspython): query a record type, optionally at a given nameserver, and
compare the answers with the expected values."""

from __future__ import annotations

import time
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

from workers.probes.base import DOWN, CheckFailed, Outcome, ProbeContext, ms

_system_resolver: dns.asyncresolver.Resolver | None = None


def parse_nameserver(value: str) -> tuple[str, int]:
    """`1.2.3.4`, `1.2.3.4:5353`, `2001:db8::1`, `[2001:db8::1]:5353` or a host name."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, 53


def _normalise(value: str) -> str:
    return value.strip().rstrip(".").lower().strip('"')


async def check_dns(config: dict[str, Any], timeout: float, pctx: ProbeContext) -> Outcome:
    global _system_resolver
    name = str(config["name"])
    rdtype = str(config.get("recordType") or "A").upper()
    expected = [_normalise(str(v)) for v in (config.get("expected") or [])]
    t0 = time.perf_counter()
    nameserver = config.get("nameserver")
    if nameserver:
        host, port = parse_nameserver(str(nameserver))
        try:
            ip = await pctx.guard.vet(host, port)
        except LookupError as exc:
            raise CheckFailed("DNS_ERROR", f"nameserver: {exc}") from None
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [pctx.guard.dial_address(ip)]
        resolver.port = port
    else:
        if _system_resolver is None:
            _system_resolver = dns.asyncresolver.Resolver()
        resolver = _system_resolver
    t1 = time.perf_counter()
    try:
        answer = await resolver.resolve(
            name, dns.rdatatype.from_text(rdtype), lifetime=timeout, raise_on_no_answer=True
        )
    except dns.resolver.NXDOMAIN:
        raise CheckFailed("DNS_NXDOMAIN", f"{name} does not exist") from None
    except dns.resolver.NoAnswer:
        raise CheckFailed("DNS_NO_ANSWER", f"no {rdtype} record for {name}") from None
    except dns.exception.Timeout:
        raise TimeoutError from None
    except (dns.exception.DNSException, OSError) as exc:
        raise CheckFailed("DNS_ERROR", str(exc)[:300]) from None
    query_ms = ms(t1)
    values = sorted({_normalise(rdata.to_text()) for rdata in answer})
    outcome = Outcome(response_time_ms=ms(t0), timings={"dns_ms": query_ms})
    missing = [v for v in expected if v not in values]
    if missing:
        outcome.status = DOWN
        outcome.error = f"DNS_MISMATCH: expected {missing}, got {values}"[:500]
    return outcome
