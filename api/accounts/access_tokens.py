"""Personal access tokens: scoped credentials for scripts and tools.

Shown once at creation, stored as a SHA-256 hash, prefixed `hf_pat_`. Only a logged-in
session may create one (a token cannot mint tokens, so a leaked token cannot
widen or prolong itself); any credential with account:write may revoke its user's tokens.
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from api.accounts.models import PersonalAccessToken
from api.auth.principal import ALL_SCOPES, Principal
from api.core import clock
from api.core.errors import Forbidden, Invalid, LimitReached, NotFound
from api.core.logging import get_logger
from api.core.tokens import PAT_PREFIX, hash_token, new_token
from api.events import publish
from api.resources import Resources

log = get_logger(__name__)

MAX_ACTIVE_TOKENS = 50
MAX_NAME = 100


def visible_to(principal: Principal) -> QuerySet[PersonalAccessToken]:
    """The caller's own active tokens (the only way to read them)."""
    if principal.user_id is None:
        return PersonalAccessToken.filter(id__in=[])
    return PersonalAccessToken.filter(user_id=principal.user_id, revoked_at=None)


async def create(
    principal: Principal, *, name: str, scopes: list[str]
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
