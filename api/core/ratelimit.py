"""Fixed-window counters in Redis: the one rate-limit mechanism (login, tokens, alerts)."""

from __future__ import annotations

from arq.connections import ArqRedis


async def hit(redis: ArqRedis, key: str, *, limit: int, window_seconds: int) -> int | None:
    """Count one event under `key`; return seconds to wait when over `limit`, else None."""
    full = f"hitflow:rl:{key}"
    async with redis.pipeline(transaction=True) as pipe:
        # SET NX EX starts the window (EXPIRE NX needs Redis 7; the embedded one is 6.2);
        # INCR keeps the TTL.
        pipe.set(full, 0, ex=window_seconds, nx=True)
        pipe.incr(full)
        pipe.ttl(full)
        _, count, ttl = await pipe.execute()
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
