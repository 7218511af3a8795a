"""TOTP authenticators (RFC 6238, 30-second steps, 6 digits) and recovery codes.

A code is accepted for the current step and one step either side (clock drift), and
only for a step later than the last accepted one: a code seen once (by a shoulder
surfer, a phishing proxy) cannot be replayed. The step is claimed with a conditional
update, so two concurrent requests with the same code cannot both pass.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass

import pyotp
import segno
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from api.accounts.models import RecoveryCode, TotpDevice, User
from api.core import clock
from api.core.crypto import KeyRing
from api.core.errors import InvalidCode

ISSUER = "Hitflow"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_AAD = b"totp-secret"


@dataclass(frozen=True)
class Enrollment:
    secret: str
    uri: str
    qr_svg: str


def _current_step() -> int:
    return int(clock.now().timestamp()) // STEP_SECONDS


def _clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "")[:32] if not ch.isspace())


def _secret(keyring: KeyRing, device: TotpDevice) -> str:
    return keyring.decrypt_bytes(bytes.fromhex(device.secret_encrypted), aad=_AAD).decode()


async def start_enrollment(keyring: KeyRing, user: User) -> Enrollment:
    """A new (unconfirmed) secret; replaces an unconfirmed one, refused if one is active."""
    secret = pyotp.random_base32()
    sealed = keyring.encrypt_bytes(secret.encode(), aad=_AAD).hex()
    async with in_transaction():
        device = await TotpDevice.select_for_update().get_or_none(user_id=user.id)
        if device is not None and device.confirmed_at is not None:
            raise InvalidCode(
                "An authenticator app is already set up; turn it off first.", field="totp"
            )
        if device is None:
            await TotpDevice.create(user_id=user.id, secret_encrypted=sealed)
        else:
            device.secret_encrypted = sealed
            device.last_used_step = 0
            await device.save(update_fields=["secret_encrypted", "last_used_step"])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True)
    return Enrollment(secret=secret, uri=uri, qr_svg=out.getvalue().decode())


async def _claim(keyring: KeyRing, device: TotpDevice, code: str) -> bool:
    """True when `code` is valid now and its step was not used yet (the step is claimed)."""
    code = _clean_code(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(_secret(keyring, device))
    now = _current_step()
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if step <= device.last_used_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            claimed = await TotpDevice.filter(id=device.id, last_used_step__lt=step).update(
                last_used_step=step
            )
            return bool(claimed)
    return False


async def confirm_enrollment(keyring: KeyRing, user: User, code: str) -> list[str]:
    """Turn the pending authenticator on with its first code; return new recovery codes."""
    device = await TotpDevice.get_or_none(user_id=user.id)
    if device is None or device.confirmed_at is not None:
        raise InvalidCode("Start the authenticator set-up first.", field="code")
    if not await _claim(keyring, device, code):
        raise InvalidCode("This code is wrong or expired.", field="code")
    async with in_transaction():
        await TotpDevice.filter(id=device.id).update(confirmed_at=clock.now())
        return await replace_recovery_codes(user)


async def active_device(user_id: int) -> TotpDevice | None:
    return await TotpDevice.get_or_none(user_id=user_id, confirmed_at__isnull=False)


async def verify(keyring: KeyRing, user_id: int, code: str) -> bool:
    """A sign-in or confirmation code from the user's active authenticator (single use)."""
    device = await active_device(user_id)
    return device is not None and await _claim(keyring, device, code)


async def remove(user_id: int) -> bool:
    return bool(await TotpDevice.filter(user_id=user_id).delete())


# --- recovery codes ------------------------------------------------------------------


def _hash_recovery(code: str) -> str:
    clean = "".join(ch for ch in (code or "")[:64].lower() if ch.isalnum())
    return hashlib.sha256(clean.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


async def replace_recovery_codes(user: User) -> list[str]:
    """Delete the user's recovery codes and make RECOVERY_CODES new ones (shown once)."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    await RecoveryCode.filter(user_id=user.id).delete()
    await RecoveryCode.bulk_create(
        [RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c)) for c in codes]
    )
    return codes


async def use_recovery_code(user_id: int, code: str) -> bool:
    """Spend one recovery code; False when it is unknown or was used already."""
    used = await RecoveryCode.filter(
        Q(user_id=user_id), Q(code_hash=_hash_recovery(code)), Q(used_at__isnull=True)
    ).update(used_at=clock.now())
    return bool(used)


async def recovery_codes_left(user_id: int) -> int:
    return await RecoveryCode.filter(user_id=user_id, used_at__isnull=True).count()


async def delete_recovery_codes(user_id: int) -> None:
    await RecoveryCode.filter(user_id=user_id).delete()
