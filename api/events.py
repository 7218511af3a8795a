"""Live events: published once to Redis pub/sub by the core worker (or the API).

Each API process holds one subscription to EVENTS_CHANNEL and dispatches locally
by workspace. Event shape (JSON):

    {"type": "check_result" | "target_status" | "incident" | "revocation",
     "workspaceId": int | None, "targetId": int | None, ...type-specific keys}

`revocation` events carry {"userId": int, "credentialIds": [...]} or {"userId": int, "all": true}
and end the live subscriptions of the revoked credentials.
"""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis

EVENTS_CHANNEL = "hitflow:events"


async def publish(redis: ArqRedis, event_type: str, **payload: Any) -> None:
    await redis.publish(EVENTS_CHANNEL, json.dumps({"type": event_type, **payload}, default=str))
