"""Which second factors an account has (read by sign-in, policies and the principal)."""

from __future__ import annotations

from enum import StrEnum

from api.accounts.models import RecoveryCode, TotpDevice
from api.core.orm import column


class SecondFactor(StrEnum):
    TOTP = "TOTP"
    RECOVERY_CODE = "RECOVERY_CODE"


async def factors_of(user_id: int) -> list[SecondFactor]:
    """The user's usable second factors; empty when the account has none."""
    if not await TotpDevice.exists(user_id=user_id, confirmed_at__isnull=False):
        return []
    factors = [SecondFactor.TOTP]
    if await RecoveryCode.exists(user_id=user_id, used_at__isnull=True):
        factors.append(SecondFactor.RECOVERY_CODE)
    return factors


async def has_second_factor(user_id: int) -> bool:
    return await TotpDevice.exists(user_id=user_id, confirmed_at__isnull=False)


async def users_with_second_factor(user_ids: list[int]) -> set[int]:
    query = TotpDevice.filter(user_id__in=user_ids, confirmed_at__isnull=False)
    return set(await column(query, "user_id"))
