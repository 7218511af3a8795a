"""Process-wide resources, opened once at start and passed explicitly.

The API keeps them on `app.state.resources`, the workers in arq's `ctx["resources"]`.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import httpx
from arq.connections import ArqRedis

from api.core.crypto import KeyRing
from api.redis import connect
from api.settings import Settings

CORE_QUEUE = "hitflow:core"


def probe_queue(region: str) -> str:
    return f"hitflow:probe:{region}"


@dataclass
class Resources:
    settings: Settings
    redis: ArqRedis
    keyring: KeyRing
    http: httpx.AsyncClient  # outbound calls to providers (not probes: they build their own)
    # The redis-server child this process started (no HITFLOW_REDIS_URL), else None.
    embedded_redis: subprocess.Popen[bytes] | None = None

    async def close(self) -> None:
        await self.http.aclose()
        await self.redis.aclose()


async def open_resources(settings: Settings, redis_url: str) -> Resources:
    redis = await connect(redis_url)
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0), follow_redirects=False, headers={"User-Agent": "Hitflow"}
    )
    return Resources(
        settings=settings, redis=redis, keyring=KeyRing(settings.key_ring_keys), http=http
    )
