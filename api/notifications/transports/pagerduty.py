"""PagerDuty Events API v2: trigger and resolve share one dedup_key per incident."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send


def _details(message: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"regions": message.regions, "cause": message.cause}
    # An upstream's dependents (attached to its incident) and, later, those still down.
    if message.affected_targets:
        details["affectedTargets"] = message.affected_targets
    if message.still_down_targets:
        details["stillDownTargets"] = message.still_down_targets
    return details


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
            "custom_details": _details(message),
        },
        "links": [{"href": message.link, "text": "Open in Hitflow"}],
        "client": "Hitflow",
    }
    await send(http, "POST", f"{config['baseUrl']}/v2/enqueue", "PagerDuty", json=payload)
