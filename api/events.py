"""Live events: published once to Redis pub/sub by the core worker (or the API).

Each API process holds one subscription to events_channel(redis) and dispatches locally
by workspace. Event shape (JSON):

    {"type": "check_result" | "target_status" | "incident" | "revocation"
             | "membership_removed" | "rights_changed",
     "workspaceId": int | None, "targetId": int | None, ...type-specific keys}

`revocation` events carry {"userId": int, "credentialIds": [...]} or {"userId": int, "all": true}
and end the live subscriptions of the revoked credentials.

`membership_removed` events carry {"workspaceId": int, "userId": int} and close that user's
sockets that read the workspace. `rights_changed` events carry {"userId": int} and/or
{"workspaceId": int}: the rights of those principals changed (role change, OAuth client
narrowed...); each API process re-resolves the principals of the matching sockets so
their running subscriptions resolve fields with the current rights (api.live.relay).
"""

from __future__ import annotations

import json
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import Redis

EVENTS_CHANNEL = "hitflow:events"


def events_channel(redis: Redis) -> str:
    """The channel of this deployment's Redis database.

    Pub/sub ignores database numbers, so two deployments sharing a Redis server on
    different databases would otherwise receive each other's events.
    """
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    return f"{EVENTS_CHANNEL}:{db}"


# Events that change what a workspace's targets look like from outside. Each one bumps
# the workspace's change counter BEFORE it is published, so a cache derived from that
# state (the public status pages, api.statuspages.cache) is stale by the time anyone
# hears of the event.
CHANGE_EVENTS = frozenset({"target_status", "incident"})


def changes_key(workspace_id: int) -> str:
    return f"hitflow:changes:{workspace_id}"


async def publish(redis: ArqRedis, event_type: str, **payload: Any) -> None:
    workspace_id = payload.get("workspaceId")
    message = json.dumps({"type": event_type, **payload}, default=str)
    if event_type not in CHANGE_EVENTS or workspace_id is None:
        await redis.publish(events_channel(redis), message)
        return
    # One round trip on the ingest's path; the pipeline keeps the order (bump, then publish).
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(changes_key(int(workspace_id)))
        pipe.publish(events_channel(redis), message)
        await pipe.execute()
