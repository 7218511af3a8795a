"""The delivery job: one per (event, channel); retried with backoff on transient errors."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import httpx
from arq import Retry

from api.core.netguard import guarded_transport
from api.notifications import delivery
from api.resources import Resources


def _clients(resources: Resources) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    settings = resources.settings
    timeout = httpx.Timeout(settings.alert_http_timeout_seconds)
    headers = {"User-Agent": "Hitflow-Alerts"}
    plain = httpx.AsyncClient(timeout=timeout, follow_redirects=False, headers=headers)
    guarded = httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        headers=headers,
        transport=guarded_transport(settings.probe_allow_private_networks),
    )
    return plain, guarded


async def open_clients(ctx: dict[str, Any]) -> None:
    _skip_sniffio_lookups()
    ctx["alert_http"], ctx["alert_http_guarded"] = _clients(ctx["resources"])


def _skip_sniffio_lookups() -> None:
    """httpcore asks `import sniffio` twice per connection (its locks' async-library check);
    without sniffio installed (anyio 4 no longer needs it) each failed import scans
    sys.path: ~20 % of a request's CPU. A None entry makes the same ImportError immediate;
    httpcore then assumes asyncio, as it did. (Installing sniffio does as well.) This was
    done when the probe used httpcore; the core worker's deliveries still do."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # None: known absent


async def close_clients(ctx: dict[str, Any]) -> None:
    for key in ("alert_http", "alert_http_guarded"):
        client = ctx.pop(key, None)
        if client is not None:
            await client.aclose()


async def deliver_notification(ctx: dict[str, Any], *, notification_id: int) -> None:
    if "alert_http" not in ctx:
        await open_clients(ctx)
    delay = await delivery.deliver(
        ctx["resources"],
        notification_id,
        http=ctx["alert_http"],
        guarded_http=ctx["alert_http_guarded"],
    )
    if delay is not None:
        raise Retry(defer=delay)
