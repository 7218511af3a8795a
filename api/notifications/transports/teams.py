"""Microsoft Teams incoming webhook: a MessageCard."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send

COLORS = {"critical": "D93025", "warning": "F29900", "info": "1E8E3E"}


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    payload = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.title,
        "themeColor": COLORS.get(message.severity, "1E8E3E"),
        "title": message.title,
        "text": message.text.replace("\n", "<br>"),
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": "Open in Hitflow",
                "targets": [{"os": "default", "uri": message.link}],
            }
        ],
    }
    await send(http, "POST", secrets["webhookUrl"], "Teams", json=payload)
