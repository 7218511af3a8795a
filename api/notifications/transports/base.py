"""The contract every transport follows (like Healthchecks' Transport.notify()):

    async def notify(http, channel_config, secrets, message) -> None

`channel_config` is the channel's public config plus the provider settings the dispatcher
adds (e.g. "baseUrl"); `secrets` the decrypted write-only values. A failure raises
TransportError(permanent, retry_after): permanent ones are not retried.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from api.core import clock


class TransportError(Exception):
    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(Protocol):
    """A transport module: what TRANSPORTS maps each channel kind to."""

    async def notify(
        self,
        http: httpx.AsyncClient,
        config: dict[str, Any],
        secrets: dict[str, Any],
        message: Any,
    ) -> None: ...


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - clock.now()).total_seconds(), 0.0)


def check_response(response: httpx.Response, provider: str) -> None:
    """Raise TransportError for a non-2xx answer: 429 and 5xx are transient, 4xx permanent."""
    if response.is_success:
        return
    status = response.status_code
    snippet = response.text[:200].replace("\n", " ") if response.content else ""
    message = f"{provider} answered HTTP {status}" + (f": {snippet}" if snippet else "")
    if status == 429:
        raise TransportError(
            message, retry_after=retry_after_seconds(response.headers.get("retry-after"))
        )
    if status >= 500 or status in (408, 425):
        raise TransportError(
            message, retry_after=retry_after_seconds(response.headers.get("retry-after"))
        )
    raise TransportError(message, permanent=True)


async def send(
    http: httpx.AsyncClient, method: str, url: str, provider: str, **kwargs: Any
) -> httpx.Response:
    """One request; network errors become transient TransportErrors naming no URL."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise TransportError(f"{provider} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise TransportError(f"{provider} unreachable ({type(exc).__name__})") from None
    check_response(response, provider)
    return response
