"""ntfy: POST the text to the topic URL, with Title/Priority/Tags/Click headers."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send

PRIORITY = {"critical": "5", "warning": "4", "info": "3"}
TAGS = {
    "DOWN": "rotating_light",
    "REMINDER": "rotating_light",
    "UP": "white_check_mark",
    "DEGRADED": "warning",
    "SUMMARY": "warning",
    "TEST": "test_tube",
}


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    headers = {
        "Title": message.title.encode("ascii", "replace").decode(),
        "Priority": PRIORITY.get(message.severity, "3"),
        "Tags": TAGS.get(message.kind, "bell"),
        "Click": message.link,
    }
    if secrets.get("token"):
        headers["Authorization"] = f"Bearer {secrets['token']}"
    await send(
        http, "POST", secrets["topicUrl"], "ntfy", content=message.text.encode(), headers=headers
    )
