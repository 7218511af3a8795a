"""Discord webhook: {"content", "embeds"}."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send

COLORS = {"critical": 0xD93025, "warning": 0xF29900, "info": 0x1E8E3E}


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    payload = {
        "content": message.title[:2000],
        "embeds": [
            {
                "title": message.title[:256],
                "description": message.text[:4096],
                "url": message.link,
                "color": COLORS.get(message.severity, 0x1E8E3E),
                "timestamp": message.at.isoformat(),
            }
        ],
        "allowed_mentions": {"parse": []},
    }
    await send(http, "POST", secrets["webhookUrl"], "Discord", json=payload)
