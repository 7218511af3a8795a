"""Opsgenie Alert API: create an alert with an alias, close it by that alias."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send

PRIORITY = {"critical": "P1", "warning": "P3", "info": "P5"}


def _details(message: Any) -> dict[str, str]:
    """Opsgenie details are string to string; the close call has no details (its note,
    the message text, names the dependents still down)."""
    details = {"link": message.link, "regions": ",".join(message.regions)}
    if message.affected_targets:
        details["affectedTargets"] = ", ".join(message.affected_targets)
    if message.still_down_targets:
        details["stillDownTargets"] = ", ".join(message.still_down_targets)
    return details


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    headers = {"Authorization": f"GenieKey {secrets['apiKey']}"}
    base = config["baseUrl"]
    if message.resolve:
        url = f"{base}/v2/alerts/{message.dedup_key}/close"
        body = {"source": "Hitflow", "note": message.text[:25000]}
        await send(
            http,
            "POST",
            url,
            "Opsgenie",
            params={"identifierType": "alias"},
            json=body,
            headers=headers,
        )
        return
    body = {
        "message": message.title[:130],
        "alias": message.dedup_key,
        "description": message.text[:15000],
        "priority": PRIORITY.get(message.severity, "P3"),
        "source": "Hitflow",
        "tags": ["hitflow", message.kind.lower()],
        "details": _details(message),
    }
    await send(http, "POST", f"{base}/v2/alerts", "Opsgenie", json=body, headers=headers)
