"""Single-use tokens sent by e-mail (verify, reset, ...): stored hashed, consumed once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.accounts.models import EmailToken, User
from api.core import clock
from api.core.errors import Expired, Invalid
from api.core.tokens import EMAIL_PREFIX, hash_token, new_token

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"


async def issue(
    user: User, purpose: str, ttl: timedelta, payload: dict[str, Any] | None = None
) -> str:
    """Create a token for `user`; return it (it is only ever kept as a hash)."""
    token = new_token(EMAIL_PREFIX)
    await EmailToken.create(
        user=user,
        purpose=purpose,
        token_hash=hash_token(token),
        payload=payload or {},
        expires_at=clock.now() + ttl,
    )
    return token


async def consume(token: str, purpose: str, *, field: str = "token") -> EmailToken:
    """Mark the token used and return it; Invalid when unknown or reused, Expired when late.

    The conditional update makes it single-use even when two requests race.
    """
    invalid = Invalid("This link is invalid or was already used.", field=field)
    if not token or not token.startswith(EMAIL_PREFIX) or len(token) > 200:
        raise invalid
    row = await EmailToken.get_or_none(token_hash=hash_token(token), purpose=purpose)
    if row is None or row.used_at is not None:
        raise invalid
    now = clock.now()
    if row.expires_at <= now:
        raise Expired("This link has expired; ask for a new one.", field=field)
    claimed = await EmailToken.filter(id=row.id, used_at=None).update(used_at=now)
    if claimed != 1:
        raise invalid
    return row


async def void_unused(user_id: int, purpose: str) -> None:
    """Invalidate the user's outstanding tokens of one purpose (e.g. after a reset)."""
    await EmailToken.filter(user_id=user_id, purpose=purpose, used_at=None).update(
        used_at=clock.now()
    )
