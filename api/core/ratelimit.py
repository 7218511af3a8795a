"""Fixed-window counters in Redis: the one rate-limit mechanism (login, tokens, alerts)."""

from __future__ import annotations

from arq.connections import ArqRedis


async def hit(redis: ArqRedis, key: str, *, limit: int, window_seconds: int) -> int | None:
    """Count one event under `key`; return seconds to wait when over `limit`, else None."""
    full = f"hitflow:rl:{key}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(full)
        pipe.expire(full, window_seconds, nx=True)
        pipe.ttl(full)
        count, _, ttl = await pipe.execute()
    if int(count) > limit:
        return max(int(ttl), 1)
    return None


async def peek(redis: ArqRedis, key: str, *, limit: int) -> int | None:
    """Seconds to wait if `key` is already over `limit` (without counting), else None."""
    full = f"hitflow:rl:{key}"
    count = await redis.get(full)
    if count is not None and int(count) >= limit:
        return max(int(await redis.ttl(full)), 1)
    return None


async def reset(redis: ArqRedis, key: str) -> None:
    await redis.delete(f"hitflow:rl:{key}")
