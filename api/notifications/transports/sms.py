"""SMS through Twilio's Messages API (form-encoded, basic auth sid:token)."""

from __future__ import annotations

from typing import Any

import httpx

from api.notifications.transports.base import send


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    sid = config["accountSid"]
    url = f"{config['baseUrl']}/2010-04-01/Accounts/{sid}/Messages.json"
    body = f"{message.title}\n{message.text}"
    form = {"From": config["from"], "To": config["to"], "Body": body[:1600]}
    await send(http, "POST", url, "Twilio", data=form, auth=(sid, secrets["authToken"]))
