"""Generic webhook: a signed JSON POST.

Signature scheme (documented for receivers): headers
    X-Hitflow-Timestamp: <unix seconds>
    X-Hitflow-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>
Receivers recompute the HMAC over the exact bytes received and reject timestamps older
than a few minutes, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from api.core import clock
from api.notifications.transports.base import send


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(message: Any) -> bytes:
    payload = {
        "event": message.kind,
        "title": message.title,
        "text": message.text,
        "severity": message.severity,
        "at": message.at.isoformat(),
        "link": message.link,
        "target": {"id": message.target_id, "name": message.target_name, "status": message.status}
        if message.target_id
        else None,
        "incident": {
            "id": message.incident_id,
            "startedAt": message.started_at.isoformat() if message.started_at else None,
            "cause": message.cause,
            "regions": message.regions,
            "resolved": message.resolve,
            # Dependents down with it, alerted only here (names): on DOWN, REMINDER, UP.
            "affectedTargets": message.affected_targets,
            # REMINDER and UP: those of them still DOWN at that moment.
            "stillDownTargets": message.still_down_targets,
        }
        if message.incident_id
        else None,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    body = body_of(message)
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Hitflow-Event": message.kind,
        "X-Hitflow-Timestamp": timestamp,
        "X-Hitflow-Signature": sign(secrets["secret"], timestamp, body),
    }
    await send(http, "POST", secrets["url"], "The webhook", content=body, headers=headers)
