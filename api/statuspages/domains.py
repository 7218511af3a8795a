"""Custom domains of status pages: the name an admin sets, the TXT record that proves
control of it (`_hitflow-verify.<domain>` holding the page's token, read with dnspython),
and the exact match of a request's host against verified domains only."""

from __future__ import annotations

import ipaddress
import re
import secrets

import dns.asyncresolver
import dns.exception
import dns.resolver

from api.core.errors import Invalid, NotVerified
from api.core.logging import get_logger
from api.settings import Settings

log = get_logger(__name__)

RECORD_PREFIX = "_hitflow-verify"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
DNS_LIFETIME_SECONDS = 5.0


def _ascii(value: str) -> str | None:
    """Lower case, IDNA-encoded, no trailing dot; None when it is no host name."""
    value = value.strip().lower()
    if value.endswith("."):
        value = value[:-1]
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        return None
    if labels[-1].isdigit():  # an IPv4 address, not a name
        return None
    return value


def normalize_domain(value: str) -> str:
    """The domain an admin typed, as stored and matched; Invalid when it is not one."""
    domain = _ascii(value)
    if domain is None or domain.startswith(f"{RECORD_PREFIX}."):
        raise Invalid(
            f"{value[:80]!r} is not a domain name (like status.example.com).",
            field="customDomain",
        )
    return domain


def host_of(value: str) -> str | None:
    """The domain a request's host names (case-insensitive, trailing dot and port
    stripped), or None for anything else (an IP literal, garbage)."""
    value = (value or "").strip()
    if not value or len(value) > 300 or value.startswith("["):
        return None
    if value.count(":") == 1:
        value, port = value.split(":")
        if not port.isdigit():
            return None
    elif ":" in value:
        return None
    return _ascii(value)


def new_token() -> str:
    return f"hitflow-verify-{secrets.token_urlsafe(24)}"


def record_name(domain: str) -> str:
    return f"{RECORD_PREFIX}.{domain}"


def _resolver(settings: Settings) -> dns.asyncresolver.Resolver:
    if settings.dns_resolver is None:
        resolver = dns.asyncresolver.Resolver()
    else:
        host, _, port = settings.dns_resolver.rpartition(":")
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [str(ipaddress.ip_address(host.strip("[]")))]
        resolver.port = int(port)
    resolver.lifetime = DNS_LIFETIME_SECONDS
    return resolver


async def txt_values(settings: Settings, name: str) -> set[str]:
    """The TXT strings at `name` (each record's strings joined); empty when there is none.

    Raises NotVerified when DNS cannot answer (a timeout, no server reachable)."""
    try:
        answer = await _resolver(settings).resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return set()
    except (dns.exception.DNSException, OSError) as exc:
        log.info("domain_txt_lookup_failed", name=name, error=type(exc).__name__)
        raise NotVerified(
            "The DNS lookup failed; try again in a few minutes.", field="customDomain"
        ) from exc
    values = set()
    for record in answer:
        values.add(b"".join(record.strings).decode("utf-8", errors="replace"))
    return values
