"""Per-token request rate limit for API tokens (OAuth access tokens and PATs), sized by
the workspace's plan.

The budget is per token, counted before the request runs (atomic INCR, then judged): the
workspaces an operation touches are known only once it is resolved, while the count must
come first. Its size is the API rate of the plan of the workspaces the token reaches (the
most generous one: a member of a FREE and of a BUSINESS workspace is not slowed to FREE's
rate in the BUSINESS one); a plan with no rate (UNLIMITED: a self-hosted instance), or a
token reaching no workspace, gets HITFLOW_OAUTH_RATE_LIMIT_PER_MINUTE. The plan is read on
every request, so an upgrade applies to the next one. docs/billing.md, "API rate".
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.principal import Principal
from api.billing.limits import api_rate
from api.core import ratelimit
from api.core.errors import RateLimited
from api.resources import Resources

LIMITED_KINDS = frozenset({"oauth", "client", "pat"})
WINDOW_SECONDS = 60
POLICY = "default"


@dataclass(frozen=True)
class Quota:
    """A token's budget after counting this request (IETF httpapi ratelimit-headers)."""

    limit: int
    used: int
    reset_seconds: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.limit};w={WINDOW_SECONDS}',
            "RateLimit": f'"{POLICY}";r={self.remaining};t={self.reset_seconds}',
        }


class TokenRateLimited(RateLimited):
    """Over the token's budget: RATE_LIMITED with retryAfter, and the quota for headers."""

    def __init__(self, quota: Quota) -> None:
        super().__init__(quota.reset_seconds)
        self.quota = quota


async def token_limit(resources: Resources, principal: Principal) -> int:
    rate = await api_rate(resources.settings, principal.workspace_ids)
    return rate if rate is not None else resources.settings.oauth_rate_limit_per_minute


async def enforce_token_rate_limit(resources: Resources, principal: Principal) -> Quota | None:
    """Count one request for the principal's token; TokenRateLimited over the limit.

    Returns the token's quota (None: the principal is not token-limited)."""
    if principal.kind not in LIMITED_KINDS or principal.credential_id is None:
        return None
    family = "pat" if principal.kind == "pat" else "oauth"
    used, reset = await ratelimit.count(
        resources.redis,
        f"token:{family}:{principal.credential_id}",
        window_seconds=WINDOW_SECONDS,
    )
    quota = Quota(limit=await token_limit(resources, principal), used=used, reset_seconds=reset)
    if used > quota.limit:
        raise TokenRateLimited(quota)
    return quota
