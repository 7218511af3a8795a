"""Subscribing to a status page: e-mail with double opt-in, one-click unsubscribe, and
webhook subscribers added by the page's admins.

No enumeration: `subscribe` answers alike for an unknown slug, a PASSWORD page without
the right password, a new, a pending and an already confirmed address. Attempts are
counted per client IP and per address before anything else (api.core.ratelimit).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import quote

from tortoise.exceptions import IntegrityError

from api.accounts.validation import normalize_email
from api.auth.principal import Principal
from api.core import clock, ratelimit
from api.core.errors import (
    Expired,
    Forbidden,
    LimitReached,
    NotFound,
    RateLimited,
    UnsafeTarget,
)
from api.core.logging import get_logger
from api.core.netguard import check_url_safe, split_url
from api.core.tokens import hash_token
from api.mail.service import send_mail
from api.resources import Resources
from api.statuspages import subscriber_mail
from api.statuspages.models import StatusPage
from api.statuspages.service import open_page, visible_to
from api.statuspages.subscriber_models import StatusPageSubscriber, StatusPageWebhook

log = get_logger(__name__)

CONFIRM_PREFIX = "hf_spc_"
UNSUBSCRIBE_PREFIX = "hf_spu_"
MAX_WEBHOOKS_PER_PAGE = 10


def _address_key(email: str) -> str:
    # Counters are keyed by a hash: Redis never holds the address itself.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def page_url(resources: Resources, page: StatusPage) -> str:
    return f"{resources.settings.public_url}/status/{page.slug}"


def link(resources: Resources, page: StatusPage, action: str, token: str) -> str:
    return f"{page_url(resources, page)}/{action}?token={quote(token)}"


def unsubscribe_token(resources: Resources, subscriber: StatusPageSubscriber) -> str:
    return resources.keyring.decrypt(subscriber.unsubscribe_token_encrypted)


async def subscribe(
    resources: Resources, *, slug: str, email: str, password: str | None, client_ip: str
) -> None:
    """Start a subscription (a confirmation mail), whatever the outcome, answer alike."""
    settings = resources.settings
    address = normalize_email(email)  # a malformed address says nothing about the page
    wait = await ratelimit.hit_all(
        resources.redis,
        [
            (
                f"statuspage-sub-ip:{client_ip}",
                settings.status_page_subscribe_per_ip_per_hour,
                3600,
            ),
            (
                f"statuspage-sub-addr:{_address_key(address)}",
                settings.status_page_subscribe_per_address_per_hour,
                3600,
            ),
        ],
    )
    if wait is not None:
        raise RateLimited(wait)
    page = await open_page(settings, slug, password)
    if page is None:
        return
    now = clock.now()
    row = await StatusPageSubscriber.get_or_none(page_id=page.id, email=address)
    if row is not None and row.confirmed_at is not None:
        # Tell the address (not the caller) that it is already subscribed.
        await mail(resources, page, row, *subscriber_mail.already_subscribed(page))
        return
    token = CONFIRM_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.status_page_pending_hours)
    if row is None:
        unsubscribe = UNSUBSCRIBE_PREFIX + secrets.token_urlsafe(32)
        try:
            row = await StatusPageSubscriber.create(
                page_id=page.id,
                email=address,
                confirm_token_hash=hash_token(token),
                confirm_expires_at=expires,
                unsubscribe_token_hash=hash_token(unsubscribe),
                unsubscribe_token_encrypted=resources.keyring.encrypt(unsubscribe),
            )
        except IntegrityError:  # a concurrent request created it: that one mails
            return
    else:
        row.confirm_token_hash = hash_token(token)
        row.confirm_expires_at = expires
        await row.save(update_fields=["confirm_token_hash", "confirm_expires_at"])
    subject, body = subscriber_mail.confirmation(page, link(resources, page, "confirm", token))
    await mail(resources, page, row, subject, body)
    log.info("status_page_subscription_requested", page_id=page.id)


async def mail(
    resources: Resources,
    page: StatusPage,
    row: StatusPageSubscriber,
    subject: str,
    body: str,
    job_id: str | None = None,
) -> None:
    """One mail to a subscriber, with the one-click unsubscribe link (RFC 8058)."""
    unsubscribe = link(resources, page, "unsubscribe", unsubscribe_token(resources, row))
    await send_mail(
        resources,
        to=row.email,
        subject=subject,
        body=subscriber_mail.with_footer(body, unsubscribe),
        headers=subscriber_mail.list_headers(resources.settings, page, unsubscribe),
        job_id=job_id,
    )


async def confirm(token: str) -> StatusPageSubscriber:
    """Confirm the subscription of a mailed link; the link works once."""
    now = clock.now()
    hashed = hash_token(token or "")
    row = await StatusPageSubscriber.get_or_none(confirm_token_hash=hashed)
    if row is None or row.confirm_expires_at is None or row.confirm_expires_at <= now:
        raise Expired("This link has expired or was already used.", field="token")
    # Conditional: of two concurrent clicks, one confirms.
    done = await StatusPageSubscriber.filter(id=row.id, confirm_token_hash=hashed).update(
        confirmed_at=now, confirm_token_hash=None, confirm_expires_at=None
    )
    if not done:
        raise Expired("This link has expired or was already used.", field="token")
    await row.refresh_from_db()
    log.info("status_page_subscription_confirmed", page_id=row.page_id)
    return row


async def unsubscribe(token: str) -> None:
    """Forget the address of a mailed unsubscribe link (a repeated click is a no-op)."""
    deleted = await StatusPageSubscriber.filter(
        unsubscribe_token_hash=hash_token(token or "")
    ).delete()
    if deleted:
        log.info("status_page_unsubscribed")


async def expire_pending() -> int:
    """Delete the addresses that were never confirmed in time (personal data we no
    longer need); returns how many."""
    return await StatusPageSubscriber.filter(
        confirmed_at=None, confirm_expires_at__lt=clock.now()
    ).delete()


async def subscriber_count(page_id: int) -> int:
    return await StatusPageSubscriber.filter(page_id=page_id).exclude(confirmed_at=None).count()


# --- Webhook subscribers (page admins) ---------------------------------------------------


async def _admin_page(principal: Principal, page_id: int, field: str) -> StatusPage:
    page = await visible_to(principal).get_or_none(id=page_id)
    if page is None:
        raise NotFound("No StatusPage with this id.", field=field)
    principal.check_two_factor(page.workspace_id, field=field)
    if not principal.can_admin(page.workspace_id):
        raise Forbidden("Only a workspace admin or owner can change status pages.")
    return page


async def add_webhook(
    principal: Principal, resources: Resources, *, page_id: int, url: str
) -> tuple[StatusPageWebhook, str]:
    """Add a webhook subscriber; returns it and its signing secret (shown once)."""
    page = await _admin_page(principal, page_id, "statusPageId")
    url = (url or "").strip()
    try:
        _, host, _ = split_url(url)
        await check_url_safe(url, resources.settings.probe_allow_private_networks)
    except UnsafeTarget as exc:  # the message names no part of the URL
        raise UnsafeTarget(exc.message, field="url") from None
    if len(url) > 2000:
        raise LimitReached("The URL has at most 2,000 characters.", field="url")
    if await StatusPageWebhook.filter(page_id=page.id).count() >= MAX_WEBHOOKS_PER_PAGE:
        raise LimitReached(f"At most {MAX_WEBHOOKS_PER_PAGE} webhooks per status page.")
    secret = secrets.token_urlsafe(32)
    row = await StatusPageWebhook.create(
        page_id=page.id,
        host=host[:255],
        secrets_encrypted=resources.keyring.encrypt_json({"url": url, "secret": secret}),
    )
    return row, secret


async def remove_webhook(principal: Principal, webhook_id: int) -> int:
    row = await StatusPageWebhook.filter(
        id=webhook_id, page__workspace_id__in=principal.workspace_ids
    ).first()
    if row is None:
        raise NotFound("No StatusPageWebhook with this id.", field="id")
    await _admin_page(principal, row.page_id, "id")
    await row.delete()
    return webhook_id


async def page_webhooks(principal: Principal, page_id: int) -> list[StatusPageWebhook]:
    page = await visible_to(principal).get_or_none(id=page_id)
    if page is None or not principal.can_admin(page.workspace_id):
        return []
    return await StatusPageWebhook.filter(page_id=page_id).order_by("id")


async def slug_of(page_id: int) -> str | None:
    slugs = await StatusPage.filter(id=page_id).values_list("slug", flat=True)
    return str(slugs[0]) if slugs else None
