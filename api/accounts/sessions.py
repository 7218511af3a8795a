"""Sessions and their revocation (the one owner of 'log this credential out')."""

from __future__ import annotations

from datetime import timedelta

from arq.connections import ArqRedis
from tortoise.queryset import QuerySet

from api.accounts.models import PersonalAccessToken, Session, User
from api.auth.principal import Principal
from api.core import clock
from api.core.orm import column
from api.core.tokens import SESSION_PREFIX, hash_token, new_token
from api.events import publish
from api.settings import Settings


async def create_session(
    settings: Settings, user: User, user_agent: str | None = None, *, ip: str | None = None
) -> str:
    """Open a session; return its token (shown once, stored hashed)."""
    token = new_token(SESSION_PREFIX)
    now = clock.now()
    await Session.create(
        user=user,
        token_hash=hash_token(token),
        last_used_at=now,
        expires_at=now + timedelta(days=settings.session_ttl_days),
        user_agent=(user_agent or "")[:255] or None,
        ip=(ip or "")[:45] or None,
    )
    return token


async def revoke_sessions(
    redis: ArqRedis, user_id: int, *, except_session_id: int | None = None
) -> list[int]:
    """Revoke the user's sessions (all, or all but one) and end their live subscriptions."""
    query = Session.filter(user_id=user_id, revoked_at=None)
    if except_session_id is not None:
        query = query.exclude(id=except_session_id)
    ids: list[int] = await column(query, "id")
    if ids:
        await Session.filter(id__in=ids).update(revoked_at=clock.now())
        await publish(redis, "revocation", userId=user_id, kind="session", credentialIds=ids)
    return ids


async def revoke_session(redis: ArqRedis, user_id: int, session_id: int) -> bool:
    """Revoke one session (log out); True when it was still active."""
    done = await Session.filter(id=session_id, user_id=user_id, revoked_at=None).update(
        revoked_at=clock.now()
    )
    if done:
        await publish(
            redis, "revocation", userId=user_id, kind="session", credentialIds=[session_id]
        )
    return bool(done)


async def revoke_everything(redis: ArqRedis, user_id: int) -> None:
    """Revoke every session and personal token of a user (account deletion)."""
    now = clock.now()
    await Session.filter(user_id=user_id, revoked_at=None).update(revoked_at=now)
    await PersonalAccessToken.filter(user_id=user_id, revoked_at=None).update(revoked_at=now)
    await publish(redis, "revocation", userId=user_id, all=True)


def active_sessions(principal: Principal) -> QuerySet[Session]:
    """The caller's own open sessions (the only way to read them)."""
    if principal.user_id is None:
        return Session.filter(id__in=[])
    return Session.filter(user_id=principal.user_id, revoked_at=None, expires_at__gt=clock.now())
