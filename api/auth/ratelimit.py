"""The rate budget of GraphQL operations sent over a websocket.

API tokens (PATs, OAuth access tokens) spend the same per-token budget as their HTTP
requests (api.oauth.ratelimit); a logged-in session has its own, higher budget
(HITFLOW_SESSION_RATE_LIMIT_PER_MINUTE) for the operations of its sockets.
"""

from __future__ import annotations

from api.auth.principal import Principal
from api.core import ratelimit
from api.core.errors import RateLimited
from api.oauth.ratelimit import enforce_token_rate_limit
from api.resources import Resources


async def enforce_operation_rate_limit(resources: Resources, principal: Principal) -> None:
    """Count one websocket operation; raise RateLimited over the credential's budget."""
    if principal.kind == "session" and principal.credential_id is not None:
        wait = await ratelimit.hit(
            resources.redis,
            f"session:{principal.credential_id}",
            limit=resources.settings.session_rate_limit_per_minute,
            window_seconds=60,
        )
        if wait is not None:
            raise RateLimited(wait)
        return
    await enforce_token_rate_limit(resources, principal)
