"""verifyStatusPageDomain: an admin proves control of the page's custom domain with a TXT
record; from then on (and until the domain changes) the page answers at that host."""

from __future__ import annotations

from arq.connections import ArqRedis
from tortoise.exceptions import IntegrityError

from api.auth.principal import Principal
from api.core import clock, ratelimit
from api.core.errors import AlreadyExists, Invalid, NotVerified, RateLimited
from api.core.logging import get_logger
from api.settings import Settings
from api.statuspages import service
from api.statuspages.domains import record_name, txt_values
from api.statuspages.models import StatusPage

log = get_logger(__name__)

CHECKS_PER_HOUR = 30  # per page: each check sends a DNS query for a name the admin chose


async def verify_domain(
    redis: ArqRedis, settings: Settings, principal: Principal, page_id: int
) -> StatusPage:
    page = await service._writable_page(principal, page_id, field="statusPageId")
    service._require_admin(principal, page.workspace_id, field="statusPageId")
    domain, token = page.custom_domain, page.domain_token
    if domain is None or token is None:
        raise Invalid("The page has no custom domain to verify.", field="customDomain")
    if page.verified_domain == domain:
        return page
    wait = await ratelimit.hit(
        redis, f"statuspage-domain:{page.id}", limit=CHECKS_PER_HOUR, window_seconds=3600
    )
    if wait is not None:
        raise RateLimited(wait)
    name = record_name(domain)
    if token not in await txt_values(settings, name):
        raise NotVerified(
            f"No TXT record {name} holding this page's token was found (DNS changes can "
            "take a while to show).",
            field="customDomain",
        )
    if await StatusPage.filter(verified_domain=domain).exclude(id=page.id).exists():
        raise AlreadyExists("Another status page verified this domain.", field="customDomain")
    try:
        # Only if the domain and token are still the ones checked (an admin may have
        # changed them meanwhile); the unique index settles two pages verifying at once.
        changed = await StatusPage.filter(
            id=page.id, custom_domain=domain, domain_token=token
        ).update(verified_domain=domain, domain_verified_at=clock.now())
    except IntegrityError as exc:
        raise AlreadyExists(
            "Another status page verified this domain.", field="customDomain"
        ) from exc
    if not changed:
        raise Invalid("The page's domain changed meanwhile; verify again.", field="customDomain")
    log.info("status_page_domain_verified", page_id=page.id)
    await page.refresh_from_db()
    return page
