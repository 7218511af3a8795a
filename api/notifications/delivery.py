"""Delivery: one Notification row and one arq job per (event, channel), the flapping
guard, retries with backoff, and disabling channels that keep failing permanently."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from api.core import clock
from api.core.errors import UnsafeTarget
from api.core.ids import encode
from api.core.logging import get_logger
from api.core.netguard import check_url_safe
from api.incidents.models import AlertEvent, EventKind, Incident
from api.mail.service import send_mail
from api.metrics.own import DELIVERIES
from api.notifications.channels import SPECS, public_part, scrub
from api.notifications.message import Message, app_link, build_message, when
from api.notifications.models import AlertChannel, ChannelKind, DeliveryStatus, Notification
from api.notifications.transports import TRANSPORTS
from api.notifications.transports.base import TransportError
from api.resources import CORE_QUEUE, Resources
from api.settings import Settings
from api.targets.models import Target
from api.workspaces.models import Membership, Role

log = get_logger(__name__)
# httpx logs every request URL at INFO: webhook URLs and bot tokens must never reach the logs.
logging.getLogger("httpx").setLevel(logging.WARNING)

DELIVER_JOB = "deliver_notification"
FLAP_WINDOW = timedelta(hours=1)


def job_id(notification: Notification) -> str:
    return f"deliver:{notification.event_id}:{notification.channel_id}"


async def enqueue(resources: Resources, notification: Notification) -> None:
    await resources.redis.enqueue_job(
        DELIVER_JOB,
        notification_id=notification.id,
        _job_id=job_id(notification),
        _queue_name=CORE_QUEUE,
    )


async def _guard_status(
    settings: Settings, target_id: int | None, channel_id: int
) -> tuple[str, dict[str, Any]]:
    """("send" | "summary" | "suppress", detail): at most K per target, channel and hour."""
    if target_id is None:
        return "send", {}
    since = clock.now() - FLAP_WINDOW
    recent = (
        Notification.filter(target_id=target_id, channel_id=channel_id, created_at__gte=since)
        .exclude(status=DeliveryStatus.SUPPRESSED)
        .exclude(kind="TEST")
    )
    count = await recent.count()
    limit = settings.alert_flap_limit_per_hour
    if count < limit:
        return "send", {}
    if count > limit:
        return "suppress", {}
    first = await recent.order_by("created_at").first()
    until = (first.created_at if first else clock.now()) + FLAP_WINDOW
    return "summary", {"count": count + 1, "until": when(until)}


async def notify_event(
    resources: Resources, event: Any, channels: list[AlertChannel]
) -> list[Notification]:
    """Record one Notification per channel for `event` and enqueue the deliveries.

    Idempotent: a second call for the same event re-enqueues only what is still pending.
    """
    created: list[Notification] = []
    for channel in channels:
        existing = await Notification.get_or_none(event_id=event.id, channel_id=channel.id)
        if existing is None:
            decision, detail = await _guard_status(resources.settings, event.target_id, channel.id)
            if detail:
                event.detail = {**(event.detail or {}), "summary": detail}
                await event.save(update_fields=["detail"])
            try:
                existing = await Notification.create(
                    workspace_id=event.workspace_id,
                    event_id=event.id,
                    channel_id=channel.id,
                    target_id=event.target_id,
                    kind="SUMMARY" if decision == "summary" else str(event.kind),
                    status=DeliveryStatus.SUPPRESSED
                    if decision == "suppress"
                    else DeliveryStatus.PENDING,
                    created_at=clock.now(),
                )
            except IntegrityError:
                existing = await Notification.get(event_id=event.id, channel_id=channel.id)
        if existing.status == DeliveryStatus.PENDING:
            await enqueue(resources, existing)
        created.append(existing)
    return created


async def record_suppressed(
    event: Any, channels: list[AlertChannel], reason: str
) -> list[Notification]:
    """One SUPPRESSED row per channel: what would have been sent, and why it was not
    (a dependent whose upstream is down). Idempotent like `notify_event`."""
    rows: list[Notification] = []
    for channel in channels:
        row = await Notification.get_or_none(event_id=event.id, channel_id=channel.id)
        if row is None:
            try:
                row = await Notification.create(
                    workspace_id=event.workspace_id,
                    event_id=event.id,
                    channel_id=channel.id,
                    target_id=event.target_id,
                    kind=str(event.kind),
                    status=DeliveryStatus.SUPPRESSED,
                    last_error=reason[:500],
                    created_at=clock.now(),
                )
            except IntegrityError:
                row = await Notification.get(event_id=event.id, channel_id=channel.id)
        rows.append(row)
    return rows


def provider_config(settings: Settings, kind: ChannelKind) -> dict[str, Any]:
    base = {
        ChannelKind.TELEGRAM: settings.telegram_api_url,
        ChannelKind.PAGERDUTY: settings.pagerduty_api_url,
        ChannelKind.OPSGENIE: settings.opsgenie_api_url,
        ChannelKind.SMS: settings.twilio_api_url,
        ChannelKind.PUSHOVER: settings.pushover_api_url,
    }.get(kind)
    extra: dict[str, Any] = {"baseUrl": base.rstrip("/")} if base else {}
    if kind == ChannelKind.EMAIL:
        extra = {
            "smtpUrl": settings.smtp_url,
            "mailFrom": settings.mail_from,
            # No SMTP: development prints the alert on the console; production fails it.
            "consoleWithoutSmtp": not settings.production,
        }
    return extra


async def _load_message(
    resources: Resources, notification: Notification, channel: AlertChannel
) -> Message:
    event = await AlertEvent.get(id=notification.event_id)
    target = await Target.get_or_none(id=event.target_id) if event.target_id else None
    incident = await Incident.get_or_none(id=event.incident_id) if event.incident_id else None
    if notification.kind == "SUMMARY":
        event.kind = EventKind.SUMMARY
        event.detail = (event.detail or {}).get("summary", {})
    return build_message(
        resources.settings, event=event, target=target, incident=incident, channel_name=channel.name
    )


async def deliver(
    resources: Resources,
    notification_id: int,
    *,
    http: httpx.AsyncClient,
    guarded_http: httpx.AsyncClient,
) -> float | None:
    """Attempt one delivery; return seconds to wait before retrying, or None when done."""
    settings = resources.settings
    notification = await Notification.get_or_none(id=notification_id)
    if notification is None or notification.status != DeliveryStatus.PENDING:
        return None
    channel = (
        await AlertChannel.get_or_none(id=notification.channel_id)
        if notification.channel_id
        else None
    )
    if channel is None or not channel.enabled:
        notification.status = DeliveryStatus.FAILED
        notification.last_error = (
            "The channel was deleted." if channel is None else ("The channel is disabled.")
        )
        await notification.save(update_fields=["status", "last_error"])
        return None
    kind = ChannelKind(channel.kind)
    secrets = (
        resources.keyring.decrypt_json(channel.secrets_encrypted)
        if channel.secrets_encrypted
        else {}
    )
    message = await _load_message(resources, notification, channel)
    config = {**public_part(kind, channel.config), **provider_config(settings, kind)}
    notification.attempts += 1
    try:
        for name in SPECS[kind].urls:
            try:
                await check_url_safe(secrets[name], settings.probe_allow_private_networks)
            except UnsafeTarget:
                raise TransportError(
                    f"{name} now points at an address Hitflow may not reach", permanent=True
                ) from None
        client = guarded_http if SPECS[kind].urls else http
        await TRANSPORTS[kind].notify(client, config, secrets, message)
    except TransportError as exc:
        error = scrub(exc.message, secrets)
        return await _failed(
            resources, notification, channel, error, exc.permanent, exc.retry_after
        )
    except Exception as exc:  # a bug in a transport must not leak secrets nor loop forever
        log.error("alert_transport_crashed", channel_id=channel.id, error=type(exc).__name__)
        return await _failed(
            resources, notification, channel, f"internal error ({type(exc).__name__})", True, None
        )
    notification.status = DeliveryStatus.SENT
    notification.sent_at = clock.now()
    notification.last_error = None
    await notification.save(update_fields=["status", "sent_at", "last_error", "attempts"])
    if channel.consecutive_failures:
        await AlertChannel.filter(id=channel.id).update(consecutive_failures=0)
    DELIVERIES.labels(kind.value, "sent").inc()
    log.info("alert_sent", notification_id=notification.id, channel_id=channel.id, kind=kind.value)
    return None


async def _failed(
    resources: Resources,
    notification: Notification,
    channel: AlertChannel,
    error: str,
    permanent: bool,
    retry_after: float | None,
) -> float | None:
    settings = resources.settings
    notification.last_error = error
    log.warning(
        "alert_delivery_failed",
        notification_id=notification.id,
        channel_id=channel.id,
        attempt=notification.attempts,
        permanent=permanent,
        error=error,
    )
    retry = not permanent and notification.attempts < settings.alert_max_attempts
    DELIVERIES.labels(str(channel.kind), "retry" if retry else "failed").inc()
    if retry:
        await notification.save(update_fields=["attempts", "last_error"])
        if retry_after is not None:
            return min(retry_after, settings.alert_retry_max_seconds)
        backoff = settings.alert_retry_base_seconds * 2 ** (notification.attempts - 1)
        return float(min(backoff, settings.alert_retry_max_seconds))
    notification.status = DeliveryStatus.FAILED
    await notification.save(update_fields=["status", "attempts", "last_error"])
    if permanent and notification.kind != "TEST":
        await _count_permanent_failure(resources, channel, error)
    return None


async def _count_permanent_failure(resources: Resources, channel: AlertChannel, error: str) -> None:
    await AlertChannel.filter(id=channel.id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = (await AlertChannel.get(id=channel.id)).consecutive_failures
    limit = resources.settings.alert_channel_failure_limit
    if failures < limit:
        return
    reason = f"Disabled after {failures} failed deliveries in a row. Last error: {error}"[:200]
    disabled = await AlertChannel.filter(id=channel.id, enabled=True).update(
        enabled=False, disabled_reason=reason
    )
    if disabled != 1:
        return
    log.warning("alert_channel_disabled", channel_id=channel.id, failures=failures)
    await _mail_owners(resources, channel, failures, error)


async def _mail_owners(
    resources: Resources, channel: AlertChannel, failures: int, error: str
) -> None:
    owners = await Membership.filter(
        workspace_id=channel.workspace_id, role=Role.OWNER
    ).prefetch_related("user")
    url = app_link(
        resources.settings,
        "/settings/alerts",
        f'{{ node(id: "{encode("AlertChannel", channel.id)}")'
        " { ... on AlertChannel { name kind enabled } } }",
    )
    body = (
        f'Hitflow could not deliver alerts to the channel "{channel.name}" '
        f"({channel.kind}): {failures} deliveries in a row failed.\n"
        f"Last error: {error}\n\n"
        "The channel is now disabled, so alerts no longer go there. "
        f"Fix its settings and enable it again:\n{url}\n"
    )
    for membership in owners:
        if membership.user.is_active:
            await send_mail(
                resources,
                to=membership.user.email,
                subject=f'Alert channel "{channel.name}" was disabled',
                body=body,
            )
