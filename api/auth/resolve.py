"""Turn a bearer token or session cookie into a Principal (one query per credential kind).

RESOLVERS maps each token prefix to its resolver: every credential kind is listed here,
so any process that resolves tokens (API, live relay, CLI) knows all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from tortoise.expressions import Q

from api.accounts.models import PersonalAccessToken, Session, User
from api.auth.principal import ALL_SCOPES, ANONYMOUS, CredentialKind, Principal, access_of
from api.core import clock
from api.core.tokens import OAUTH_ACCESS_PREFIX, PAT_PREFIX, SESSION_PREFIX, hash_token
from api.oauth.principal import principal_for_access_token
from api.settings import Settings

SESSION_COOKIE = "hitflow_session"

Resolver = Callable[[str, Settings], Awaitable[Principal | None]]


async def principal_for_user(
    user: User, kind: CredentialKind, scopes: frozenset[str], credential_id: int | None
) -> Principal:
    access = await access_of(user.id, is_staff=user.is_staff)
    return Principal(
        kind=kind,
        user_id=user.id,
        scopes=scopes,
        memberships=access.memberships,
        credential_id=credential_id,
        is_staff=user.is_staff,
        two_factor=access.two_factor,
        two_factor_blocked=access.two_factor_blocked,
    )


async def _session(token: str, settings: Settings) -> Principal | None:
    now = clock.now()
    session = (
        await Session.filter(token_hash=hash_token(token), revoked_at=None, expires_at__gt=now)
        .select_related("user")
        .first()
    )
    if session is None or not session.user.is_active:
        return None
    # Sliding expiry, written at most once a minute to keep reads cheap.
    if now - session.last_used_at > timedelta(minutes=1):
        await Session.filter(id=session.id).update(
            last_used_at=now, expires_at=now + timedelta(days=settings.session_ttl_days)
        )
    return await principal_for_user(session.user, "session", frozenset(ALL_SCOPES), session.id)


async def _pat(token: str, settings: Settings) -> Principal | None:
    now = clock.now()
    pat = (
        await PersonalAccessToken.filter(token_hash=hash_token(token), revoked_at=None)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("user")
        .first()
    )
    if pat is None or not pat.user.is_active:
        return None
    if pat.last_used_at is None or now - pat.last_used_at > timedelta(minutes=1):
        await PersonalAccessToken.filter(id=pat.id).update(last_used_at=now)
    return await principal_for_user(pat.user, "pat", frozenset(pat.scopes), pat.id)


RESOLVERS: Mapping[str, Resolver] = {
    SESSION_PREFIX: _session,
    PAT_PREFIX: _pat,
    OAUTH_ACCESS_PREFIX: principal_for_access_token,
}


async def resolve_token(token: str | None, settings: Settings) -> Principal | None:
    """The principal of a token; ANONYMOUS for no token; None for a bad/revoked token."""
    if not token:
        return ANONYMOUS
    for prefix, resolver in RESOLVERS.items():
        if token.startswith(prefix):
            return await resolver(token, settings)
    return None
