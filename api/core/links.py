"""Expiring download links whose token carries its own content, sealed with the key ring.

AES-GCM (api/core/crypto.py) both hides and authenticates the payload, so a link cannot
be forged or altered, needs no row, and stops working when it expires or when the key
that sealed it leaves the ring. What the link gives is re-checked when it is opened
(the rights of the user it was made for), never trusted from the time it was made.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.core import clock
from api.core.crypto import DecryptionError, KeyRing

MAX_TOKEN_LENGTH = 4096


def seal(keyring: KeyRing, prefix: str, payload: dict[str, Any], ttl: timedelta) -> str:
    """A token `prefix` + sealed {payload, expiry}."""
    expires = (clock.now() + ttl).timestamp()
    return prefix + keyring.encrypt_json({"p": payload, "exp": expires, "k": prefix})


def unseal(keyring: KeyRing, prefix: str, token: str) -> dict[str, Any] | None:
    """The payload of a valid, unexpired token of this kind; None for anything else."""
    if not token.startswith(prefix) or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        content = keyring.decrypt_json(token[len(prefix) :])
    except (DecryptionError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(content, dict) or content.get("k") != prefix:
        return None
    expires = content.get("exp")
    if not isinstance(expires, (int, float)) or expires <= clock.now().timestamp():
        return None
    payload = content.get("p")
    return payload if isinstance(payload, dict) else None
