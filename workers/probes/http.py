"""HTTP(S) probe: a new connection per check, every redirect hop vetted by the SSRF guard.

Each hop is one exchange of `workers.probes.http1` (our small HTTP/1.1 client on asyncio
transports and llhttp), connected to the IP the guard vetted, with the process-wide SSL
context. Phases are timed there, DNS here (we resolve ourselves for the SSRF guard).
"""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import UTC
from typing import Any
from urllib.parse import urljoin

from cryptography import x509

from api.core.netguard import split_url
from workers.probes.base import DOWN, CheckFailed, Outcome, ProbeContext, ms
from workers.probes.http1 import ExchangeFailed, exchange

MAX_REDIRECTS = 10
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Hitflow-Monitor/1.0"


async def check_http(config: dict[str, Any], timeout: float, pctx: ProbeContext) -> Outcome:
    url = str(config["url"])
    method = str(config.get("method") or "GET").upper()
    body = config.get("body")
    content = body.encode() if isinstance(body, str) and body else b""
    follow = config.get("followRedirects", True) is not False
    verify = config.get("verifyTls", True) is not False
    first_origin: tuple[str, str, int] | None = None
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    hop = 0
    while True:
        origin = split_url(url)  # (scheme, host, port): parsed once per hop
        _, host, port = origin
        first_origin = first_origin or origin
        t_dns = time.perf_counter()
        try:
            ip = await pctx.guard.vet(host, port)
        except LookupError as exc:
            raise CheckFailed("DNS_ERROR", str(exc), timings=_rounded(timings)) from None
        _add(timings, "dns_ms", ms(t_dns))
        # Credentials go to the configured origin only, never to a redirect elsewhere.
        same_origin = origin == first_origin
        headers = _headers(config, host, port, url, content, with_credentials=same_origin)
        status, resp_headers, data, cert, truncated = await _exchange(
            url, origin, method, headers, content, ip, verify, pctx, timings
        )
        location = _header(resp_headers, b"location")
        if follow and status in REDIRECT_CODES and location:
            hop += 1
            if hop > MAX_REDIRECTS:
                raise CheckFailed(
                    "TOO_MANY_REDIRECTS",
                    f"more than {MAX_REDIRECTS} redirects",
                    http_status=status,
                    timings=_rounded(timings),
                )
            url = urljoin(url, location.decode("latin-1"))
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, content = "GET", b""
            continue
        break
    total = ms(t0)
    outcome = Outcome(
        response_time_ms=total,
        timings=_rounded(timings),
        http_status=status,
        certificate_expires_at=cert,
    )
    error = _assertions(config, status, data, truncated)
    if error:
        outcome.status, outcome.error = DOWN, error
    return outcome


async def _exchange(
    url: str,
    origin: tuple[str, str, int],
    method: str,
    headers: list[tuple[bytes, bytes]],
    content: bytes,
    ip: str,
    verify: bool,
    pctx: ProbeContext,
    timings: dict[str, float],
) -> tuple[int, list[tuple[bytes, bytes]], bytes, Any, bool]:
    scheme, host, port = origin
    try:
        response = await exchange(
            address=pctx.guard.dial_address(ip),
            port=port,
            host=host,
            ssl_context=pctx.ssl_context(verify) if scheme == "https" else None,
            method=method,
            url=url,
            headers=headers,
            body=content,
            body_limit=pctx.body_limit,
        )
    except ExchangeFailed as exc:
        if exc.in_body:  # as before: a broken body reports no phase timings
            raise CheckFailed("READ_ERROR", exc.message[:300]) from None
        for key, value in exc.timings.items():
            _add(timings, key, value)
        raise CheckFailed(exc.code, exc.message[:300], timings=_rounded(timings)) from None
    for key, value in response.timings.items():
        _add(timings, key, value)
    cert = _certificate_expiry(response.peer_certificate)
    return response.status, response.headers, response.body, cert, response.truncated


def _certificate_expiry(der: bytes | None) -> Any:
    if not der:
        return None
    return x509.load_der_x509_certificate(der).not_valid_after_utc.astimezone(UTC)


def _headers(
    config: dict[str, Any],
    host: str,
    port: int,
    url: str,
    content: bytes,
    *,
    with_credentials: bool,
) -> list[tuple[bytes, bytes]]:
    default_port = 443 if url.lower().startswith("https") else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
    out: dict[str, str] = {"host": host_header, "user-agent": USER_AGENT, "accept": "*/*"}
    if content:
        out["content-length"] = str(len(content))
    if with_credentials:
        for name, value in (config.get("headers") or {}).items():
            out[str(name).lower()] = str(value)
        auth = config.get("basicAuth")
        if isinstance(auth, dict) and auth.get("username"):
            raw = f"{auth['username']}:{auth.get('password') or ''}".encode()
            out["authorization"] = "Basic " + base64.b64encode(raw).decode()
    out["host"] = host_header
    return [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in out.items()]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _add(timings: dict[str, float], key: str, value: float) -> None:
    timings[key] = timings.get(key, 0.0) + value


def _rounded(timings: dict[str, float]) -> dict[str, float | None]:
    return {k: round(v, 3) for k, v in timings.items()}


# --- Assertions --------------------------------------------------------------------------


def status_ok(status: int, expected: Any) -> bool:
    if not expected:
        return 200 <= status <= 399
    items = expected if isinstance(expected, list) else [expected]
    for item in items:
        text = str(item).strip().lower()
        if re.fullmatch(r"[1-5]xx", text) and status // 100 == int(text[0]):
            return True
        if re.fullmatch(r"\d{3}-\d{3}", text):
            low, high = (int(p) for p in text.split("-"))
            if low <= status <= high:
                return True
        if text.isdigit() and int(text) == status:
            return True
    return False


def _assertions(config: dict[str, Any], status: int, data: bytes, truncated: bool) -> str | None:
    expected = config.get("expectedStatus")
    if not status_ok(status, expected):
        wanted = expected if expected else "200-399"
        return f"HTTP_STATUS: got {status}, expected {wanted}"
    keyword = config.get("keyword")
    if keyword:
        present = str(keyword) in data.decode("utf-8", "replace")
        if config.get("keywordAbsent"):
            if present:
                return f"KEYWORD_PRESENT: found {str(keyword)[:100]!r}"
        elif not present:
            where = " in the first bytes read (body capped)" if truncated else ""
            return f"KEYWORD_MISSING: {str(keyword)[:100]!r} not found{where}"
    path = config.get("jsonPath")
    if path:
        return _json_assertion(str(path), config.get("jsonValue"), data, truncated)
    return None


_TOKEN = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def json_path_get(document: Any, path: str) -> Any:
    """A small JSONPath subset: `$.a.b[0]['c d']` (raises KeyError when absent)."""
    text = path.strip()
    text = text[1:] if text.startswith("$") else "." + text.lstrip(".")
    position, value = 0, document
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"bad JSON path near {text[position : position + 20]!r}")
        name, index, quoted1, quoted2 = match.groups()
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(path)
            value = value[int(index)]
        else:
            key = name if name is not None else (quoted1 if quoted1 is not None else quoted2)
            if not isinstance(value, dict) or key not in value:
                raise KeyError(path)
            value = value[key]
        position = match.end()
    return value


def _json_assertion(path: str, expected: Any, data: bytes, truncated: bool) -> str | None:
    if truncated:
        return "JSON_PATH: body larger than the read limit"
    try:
        document = json.loads(data)
    except ValueError:
        return "JSON_PATH: body is not JSON"
    try:
        actual = json_path_get(document, path)
    except KeyError:
        return f"JSON_PATH: {path} not found"
    except ValueError as exc:
        return f"JSON_PATH: {exc}"
    if expected is None:
        return None
    if _same_json(actual, expected):
        return None
    return (
        f"JSON_VALUE: {path} is {json.dumps(actual)[:100]}, expected {json.dumps(expected)[:100]}"
    )


def _same_json(actual: Any, expected: Any) -> bool:
    if actual == expected:
        return True
    if isinstance(expected, str):
        if isinstance(actual, str):
            return False
        try:
            return bool(json.loads(expected) == actual)
        except ValueError:
            return json.dumps(actual) == expected
    return str(actual) == str(expected)
