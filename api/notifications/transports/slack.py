"""Slack incoming webhook: {"text", "blocks"}."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    body = message.text.rsplit("\n", 1)[0] if message.link in message.text else message.text
    payload = {
        "text": f"{message.title}\n{message.text}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{message.link}|Open in Hitflow>"},
            },
        ],
    }
    await send(http, "POST", secrets["webhookUrl"], "Slack", json=payload)
