"""argon2id password hashing, always off the event loop."""

from __future__ import annotations

from functools import lru_cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.settings import Settings


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_cost_kib)


async def hash_password(settings: Settings, password: str) -> str:
    return await anyio.to_thread.run_sync(hasher(settings).hash, password)


async def verify_password(settings: Settings, password_hash: str, password: str) -> bool:
    def _verify() -> bool:
        try:
            return hasher(settings).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify)


# A real hash to verify against when the account does not exist, so that a wrong
# e-mail costs the same time as a wrong password (no account enumeration by timing).
async def dummy_verify(settings: Settings, password: str) -> None:
    dummy = await _dummy_hash(settings)
    await verify_password(settings, dummy, password)


_DUMMY: dict[tuple[int, int], str] = {}


async def _dummy_hash(settings: Settings) -> str:
    key = (settings.argon2_time_cost, settings.argon2_memory_cost_kib)
    if key not in _DUMMY:
        _DUMMY[key] = await hash_password(settings, "not-a-real-password-0000")
    return _DUMMY[key]
