"""Personal access tokens: scoped credentials for scripts and tools.

Shown once at creation, stored as a SHA-256 hash, prefixed `hf_pat_`. Only a logged-in
session may create one (a token cannot mint tokens, so a leaked token cannot
widen or prolong itself); any credential with account:write may revoke its user's tokens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.queryset import QuerySet

from api.accounts.models import PersonalAccessToken, User
from api.auth.principal import ALL_SCOPES, Principal
from api.core import clock
from api.core.errors import Forbidden, Invalid, LimitReached, NotFound
from api.core.logging import get_logger
from api.core.tokens import PAT_PREFIX, hash_token, new_token
from api.core.values import aware
from api.events import publish
from api.mail.service import send_mail
from api.resources import Resources

log = get_logger(__name__)

MAX_ACTIVE_TOKENS = 50
MAX_NAME = 100
MIN_LIFETIME = timedelta(hours=1)
MAX_LIFETIME = timedelta(days=366)
EXPIRY_NOTICE = timedelta(days=7)


def visible_to(principal: Principal) -> QuerySet[PersonalAccessToken]:
    """The caller's own active tokens (the only way to read them)."""
    if principal.user_id is None:
        return PersonalAccessToken.filter(id__in=[])
    return PersonalAccessToken.filter(user_id=principal.user_id, revoked_at=None)


async def create(
    principal: Principal, *, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[PersonalAccessToken, str]:
    """Create a token; return the row and the token (the only time it is visible)."""
    if principal.kind != "session":
        raise Forbidden(
            "Personal access tokens can only be created from a logged-in session.",
            reason="session_required",
        )
    clean_name = (name or "").strip()
    if not clean_name or len(clean_name) > MAX_NAME:
        raise Invalid(f"The name must have 1 to {MAX_NAME} characters.", field="name")
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise Invalid(
            f"Unknown scope(s): {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}.",
            field="scopes",
        )
    if not scopes:
        raise Invalid("Give the token at least one scope.", field="scopes")
    if expires_at is not None:
        expires_at = aware(expires_at, "expiresAt")
        now = clock.now()
        if not now + MIN_LIFETIME <= expires_at <= now + MAX_LIFETIME:
            raise Invalid(
                "expiresAt must be between 1 hour and 366 days from now.", field="expiresAt"
            )
    if await visible_to(principal).count() >= MAX_ACTIVE_TOKENS:
        raise LimitReached(
            f"At most {MAX_ACTIVE_TOKENS} active tokens; revoke one first.", field="name"
        )
    token = new_token(PAT_PREFIX)
    row = await PersonalAccessToken.create(
        user_id=principal.user_id,
        name=clean_name,
        token_hash=hash_token(token),
        scopes=[s for s in ALL_SCOPES if s in set(scopes)],
        expires_at=expires_at,
    )
    log.info("pat_created", user_id=principal.user_id, pat_id=row.id)
    return row, token


async def revoke(resources: Resources, principal: Principal, pat_id: int) -> None:
    """Revoke one of the caller's tokens; NotFound for anyone else's (or an unknown id)."""
    done = await visible_to(principal).filter(id=pat_id).update(revoked_at=clock.now())
    if not done:
        raise NotFound("No personal access token with this id.", field="id")
    await publish(
        resources.redis, "revocation", userId=principal.user_id, kind="pat", credentialIds=[pat_id]
    )
    log.info("pat_revoked", user_id=principal.user_id, pat_id=pat_id)


async def send_expiry_notices(resources: Resources) -> int:
    """Mail the owner of every active token expiring within a week, once per token.

    Each token is claimed with a conditional update first, so two runs (or two workers)
    never mail twice.
    """
    now = clock.now()
    due = await PersonalAccessToken.filter(
        revoked_at=None,
        expiry_notice_sent_at=None,
        expires_at__gt=now,
        expires_at__lte=now + EXPIRY_NOTICE,
    ).limit(1000)
    sent = 0
    for pat in due:
        claimed = await PersonalAccessToken.filter(id=pat.id, expiry_notice_sent_at=None).update(
            expiry_notice_sent_at=now
        )
        user = await User.get_or_none(id=pat.user_id, is_active=True)
        if not claimed or user is None or pat.expires_at is None:
            continue
        await send_mail(
            resources,
            to=user.email,
            subject=f'Your Hitflow access token "{pat.name}" expires soon',
            body=(
                f'Your personal access token "{pat.name}" stops working on '
                f"{pat.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
                "If a tool still uses it, create a new token and replace it:\n\n"
                f"{resources.settings.effective_app_url}/account/tokens\n"
            ),
        )
        sent += 1
    if sent:
        log.info("pat_expiry_notices_sent", count=sent)
    return sent
