"""PagerDuty Events API v2: trigger and resolve share one dedup_key per incident."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    payload: dict[str, Any] = {
        "routing_key": secrets["routingKey"],
        "event_action": "resolve" if message.resolve else "trigger",
        "dedup_key": message.dedup_key,
        "payload": {
            "summary": f"{message.title}: {message.text.splitlines()[0]}"[:1024],
            "source": message.target_name or "Hitflow",
            "severity": message.severity,
            "timestamp": message.at.isoformat(),
            "custom_details": {"regions": message.regions, "cause": message.cause},
        },
        "links": [{"href": message.link, "text": "Open in Hitflow"}],
        "client": "Hitflow",
    }
    await send(http, "POST", f"{config['baseUrl']}/v2/enqueue", "PagerDuty", json=payload)
