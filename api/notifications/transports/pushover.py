"""Pushover Message API: POST {base}/1/messages.json (token, user, message, title, url)."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send

PRIORITY = {"critical": "1", "warning": "0", "info": "0"}


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    form = {
        "token": secrets["appToken"],
        "user": secrets["userKey"],
        "title": message.title[:250],
        "message": message.text[:1024],
        "url": message.link,
        "url_title": "Open in Hitflow",
        "priority": PRIORITY.get(message.severity, "0"),
    }
    await send(http, "POST", f"{config['baseUrl']}/1/messages.json", "Pushover", data=form)
