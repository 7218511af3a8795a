"""Fixed-window counters in Redis: the one rate-limit mechanism (login, tokens, mail,
invitations, alerts).

Every limit counts the attempt first and judges it afterwards: `hit` increments the
counter atomically and compares the new value, so N concurrent attempts get N distinct
counts and at most `limit` of them pass, however they interleave. (A "peek, act, then
count" sequence lets every concurrent attempt pass the peek before any is counted.)
An attempt that turns out not to count (a successful login) gives its unit back with
`refund`.
"""

from __future__ import annotations

from arq.connections import ArqRedis


def _full(key: str) -> str:
    return f"hitflow:rl:{key}"


async def count(redis: ArqRedis, key: str, *, window_seconds: int) -> tuple[int, int]:
    """Count one event under `key`: (its number in the current window, seconds until the
    window ends). The caller judges the number (the count comes first, atomically)."""
    full = _full(key)
    async with redis.pipeline(transaction=True) as pipe:
        # SET NX EX starts the window (EXPIRE NX needs Redis 7; the embedded one is 6.2);
        # INCR keeps the TTL.
        pipe.set(full, 0, ex=window_seconds, nx=True)
        pipe.incr(full)
        pipe.ttl(full)
        _, number, ttl = await pipe.execute()
    return int(number), max(int(ttl), 1)


async def hit(redis: ArqRedis, key: str, *, limit: int, window_seconds: int) -> int | None:
    """Count one event under `key`; return seconds to wait when over `limit`, else None."""
    number, ttl = await count(redis, key, window_seconds=window_seconds)
    return ttl if number > limit else None


async def hit_all(redis: ArqRedis, counters: list[tuple[str, int, int]]) -> int | None:
    """Count one event under every (key, limit, window_seconds); the longest wait if any
    counter is over its limit, else None. Every counter is incremented either way."""
    waits = [
        await hit(redis, key, limit=limit, window_seconds=window) for key, limit, window in counters
    ]
    return max((w for w in waits if w is not None), default=None)


# Decrement only a live window (a refund after the window ended must not leave a
# negative counter without a TTL behind).
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


async def refund(redis: ArqRedis, key: str) -> None:
    """Give back one unit counted by `hit` (the attempt turned out not to count)."""
    # redis-py types eval() as sync-or-async; on the asyncio client it is a coroutine.
    await redis.eval(_REFUND, 1, _full(key))  # type: ignore[misc]


async def peek(redis: ArqRedis, key: str, *, limit: int) -> int | None:
    """Seconds to wait if `key` is already over `limit` (without counting), else None.

    For display only: never use it to decide whether an attempt may proceed (racy)."""
    full = _full(key)
    count = await redis.get(full)
    if count is not None and int(count) >= limit:
        return max(int(await redis.ttl(full)), 1)
    return None


async def reset(redis: ArqRedis, key: str) -> None:
    await redis.delete(_full(key))
