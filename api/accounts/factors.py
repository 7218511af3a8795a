"""Which second factors an account has (read by sign-in, policies and the principal)."""

from __future__ import annotations

from enum import StrEnum

from tortoise.expressions import Q

from api.accounts.models import RecoveryCode, TotpDevice, User, WebAuthnCredential
from api.core.orm import column


class SecondFactor(StrEnum):
    TOTP = "TOTP"
    WEBAUTHN = "WEBAUTHN"
    RECOVERY_CODE = "RECOVERY_CODE"


async def factors_of(user_id: int) -> list[SecondFactor]:
    """The user's usable second factors; empty when the account has none.

    Recovery codes count only next to a real factor (they are its backup).
    """
    factors = []
    if await TotpDevice.exists(user_id=user_id, confirmed_at__isnull=False):
        factors.append(SecondFactor.TOTP)
    if await WebAuthnCredential.exists(user_id=user_id):
        factors.append(SecondFactor.WEBAUTHN)
    if factors and await RecoveryCode.exists(user_id=user_id, used_at__isnull=True):
        factors.append(SecondFactor.RECOVERY_CODE)
    return factors


async def has_second_factor(user_id: int) -> bool:
    """One query: an active authenticator app or a passkey."""
    return await User.filter(
        Q(totp_devices__confirmed_at__isnull=False) | Q(webauthn_credentials__id__isnull=False),
        id=user_id,
    ).exists()


async def users_with_second_factor(user_ids: list[int]) -> set[int]:
    totp = TotpDevice.filter(user_id__in=user_ids, confirmed_at__isnull=False)
    keys = WebAuthnCredential.filter(user_id__in=user_ids)
    return set(await column(totp, "user_id")) | set(await column(keys, "user_id"))
