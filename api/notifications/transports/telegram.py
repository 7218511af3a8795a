"""Telegram Bot API: POST {base}/bot<token>/sendMessage {chat_id, text}."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import TransportError, check_response


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.json()["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return None


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    url = f"{config['baseUrl']}/bot{secrets['botToken']}/sendMessage"
    payload = {
        "chat_id": config["chatId"],
        "text": f"{message.title}\n{message.text}"[:4096],
        "disable_web_page_preview": True,
    }
    try:
        response = await http.post(url, json=payload)
    except httpx.TimeoutException:
        raise TransportError("Telegram did not answer in time") from None
    except httpx.HTTPError as exc:
        raise TransportError(f"Telegram unreachable ({type(exc).__name__})") from None
    if response.status_code == 429 and not response.headers.get("retry-after"):
        # Telegram puts its retry hint in the JSON body.
        raise TransportError("Telegram answered HTTP 429", retry_after=_retry_after(response))
    check_response(response, "Telegram")


async def chat_exists(
    http: httpx.AsyncClient, base_url: str, token: str, chat_id: str | int
) -> bool | None:
    """True/False when Telegram says whether the bot can see the chat; None if unknown."""
    try:
        response = await http.post(f"{base_url}/bot{token}/getChat", json={"chat_id": chat_id})
    except httpx.HTTPError:
        return None
    if response.is_success:
        return True
    if response.status_code in (400, 403, 404):
        return False
    return None
