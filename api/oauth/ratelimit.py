"""Per-token request rate limit for API tokens (OAuth access tokens and PATs)."""

from __future__ import annotations

from api.auth.principal import Principal
from api.core import ratelimit
from api.core.errors import RateLimited
from api.resources import Resources

LIMITED_KINDS = frozenset({"oauth", "client", "pat"})


async def enforce_token_rate_limit(resources: Resources, principal: Principal) -> None:
    """Count one request for the principal's token; raise RateLimited over the limit."""
    if principal.kind not in LIMITED_KINDS or principal.credential_id is None:
        return
    family = "pat" if principal.kind == "pat" else "oauth"
    wait = await ratelimit.hit(
        resources.redis,
        f"token:{family}:{principal.credential_id}",
        limit=resources.settings.oauth_rate_limit_per_minute,
        window_seconds=60,
    )
    if wait is not None:
        raise RateLimited(wait)
