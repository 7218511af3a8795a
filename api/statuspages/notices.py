"""What a status page's subscribers are told, and sending it (called by core jobs).

Three things make a notice: an incident opened on one of the page's targets (it shows
on the page), a status update posted on the page, a maintenance window created for the
page's targets (or the whole workspace). `announce` queues one job per thing (a job id
per thing: queued twice, run once); the job creates one StatusPageNotice per page
(unique (page, key): a re-run creates nothing new), then queues one mail per confirmed
subscriber and one signed POST per webhook, each with its own job id.

What is told is what the public page shows: component names and statuses, never a
target's name, URL or error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from api import events
from api.core import clock
from api.core.errors import UnsafeTarget
from api.core.logging import get_logger
from api.core.netguard import check_url_safe
from api.incidents.models import Incident
from api.maintenance.models import MaintenanceWindow
from api.notifications.transports.base import TransportError, send
from api.notifications.transports.webhook import sign
from api.resources import CORE_QUEUE, Resources
from api.statuspages import subscriber_mail, subscribers
from api.statuspages.models import StatusPage, StatusPageComponent, StatusUpdate
from api.statuspages.service import ComponentStatus, PublicPage, public_view
from api.statuspages.subscriber_models import (
    StatusPageNotice,
    StatusPageSubscriber,
    StatusPageWebhook,
)

log = get_logger(__name__)

INCIDENT, UPDATE, MAINTENANCE = "incident", "update", "maintenance"
KINDS = (INCIDENT, UPDATE, MAINTENANCE)
WORDS = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
}
BATCH = 500
MAX_WEBHOOK_TRIES = 8


async def announce(resources: Resources, kind: str, ref_id: int) -> None:
    """Queue the notice job of one incident / update / maintenance window."""
    await resources.redis.enqueue_job(
        "notify_status_page_subscribers",
        kind=kind,
        ref_id=ref_id,
        _job_id=f"statuspage-notice:{kind}:{ref_id}",
        _queue_name=CORE_QUEUE,
    )


async def incident_opened(resources: Resources, incident: Incident) -> None:
    """Monitoring opened an incident: a notice if a page shows its target (no job, and
    no queue entry, for the many targets on no page)."""
    if await _pages_showing(incident.workspace_id, {incident.target_id}, incidents=True):
        await announce(resources, INCIDENT, incident.id)


async def maintenance_created(resources: Resources, window: MaintenanceWindow) -> None:
    targets = None if window.target_id is None else {window.target_id}
    if await _pages_showing(window.workspace_id, targets):
        await announce(resources, MAINTENANCE, window.id)


async def update_posted(resources: Resources, update: StatusUpdate) -> None:
    """A status update was posted: live pages refresh, subscribers get it."""
    workspace_id = await StatusPage.filter(id=update.page_id).values_list("workspace_id", flat=True)
    await events.publish(
        resources.redis,
        "status_update",
        workspaceId=workspace_id[0] if workspace_id else None,
        pageId=update.page_id,
    )
    await announce(resources, UPDATE, update.id)


@dataclass
class Draft:
    page: StatusPage
    title: str
    text: str


async def _pages_showing(
    workspace_id: int, target_ids: set[int] | None, *, incidents: bool = False
) -> list[StatusPage]:
    """The workspace's pages with a component on one of the targets (None: every page);
    for a monitoring incident, only the pages that show such incidents by themselves
    (`autoShowIncidents`: on the others, members' updates tell subscribers)."""
    query = StatusPage.filter(workspace_id=workspace_id)
    if incidents:
        query = query.filter(auto_show_incidents=True)
    pages = await query.order_by("id")
    if target_ids is None or not pages:
        return pages
    components = await StatusPageComponent.filter(page_id__in=[p.id for p in pages])
    shown = {c.page_id for c in components if target_ids & set(c.target_ids)}
    return [p for p in pages if p.id in shown]


def summary(view: PublicPage) -> str:
    lines = [f"Overall: {WORDS[view.status]} ({view.status.value})"]
    lines += [f"- {c.name}: {WORDS[c.status]}" for c in view.components]
    return "\n".join(lines)


async def _drafts(kind: str, ref_id: int) -> list[tuple[Draft, PublicPage]]:
    drafts: list[Draft] = []
    if kind == INCIDENT:
        incident = await Incident.get_or_none(id=ref_id)
        if incident is None:
            return []
        for page in await _pages_showing(
            incident.workspace_id, {incident.target_id}, incidents=True
        ):
            components = await StatusPageComponent.filter(page_id=page.id).order_by("position")
            names = [c.name for c in components if incident.target_id in c.target_ids]
            drafts.append(Draft(page, f"Incident: {', '.join(names)}", "We are investigating."))
    elif kind == UPDATE:
        update = await StatusUpdate.get_or_none(id=ref_id).prefetch_related("page")
        if update is None:
            return []
        drafts.append(Draft(update.page, f"[{update.state.value}] {update.title}", update.message))
    elif kind == MAINTENANCE:
        window = await MaintenanceWindow.get_or_none(id=ref_id)
        if window is None:
            return []
        targets = None if window.target_id is None else {window.target_id}
        when = f"From {window.starts_at.isoformat()} to {window.ends_at.isoformat()}"
        if window.weekly:
            when += ", every week" + (f" until {window.until.isoformat()}" if window.until else "")
        for page in await _pages_showing(window.workspace_id, targets):
            drafts.append(
                Draft(page, f"Scheduled maintenance: {window.name or 'maintenance'}", when)
            )
    return [(d, await public_view(d.page)) for d in drafts]


async def create_notices(kind: str, ref_id: int) -> list[StatusPageNotice]:
    """The notices of one thing, one per page (existing ones are returned, not redone)."""
    notices = []
    for draft, view in await _drafts(kind, ref_id):
        notice, _ = await StatusPageNotice.get_or_create(
            page_id=draft.page.id,
            key=f"{kind}:{ref_id}",
            defaults={
                "kind": kind,
                "title": draft.title[:300],
                "text": f"{draft.text}\n\n{summary(view)}",
                "status": view.status.value,
                "created_at": clock.now(),
            },
        )
        notices.append(notice)
    return notices


async def fan_out(resources: Resources, notice: StatusPageNotice) -> tuple[int, int]:
    """Queue a mail per confirmed subscriber and a POST per webhook; (mails, posts)."""
    page = await StatusPage.get(id=notice.page_id)
    url = subscribers.page_url(resources, page)
    subject, body = subscriber_mail.notice(page, url, notice.title, notice.text)
    mails = 0
    last = 0
    while True:
        batch = (
            await StatusPageSubscriber.filter(page_id=page.id, id__gt=last)
            .exclude(confirmed_at=None)
            .order_by("id")
            .limit(BATCH)
        )
        for row in batch:
            job_id = f"statuspage-mail:{notice.id}:{row.id}"
            await subscribers.mail(resources, page, row, subject, body, job_id=job_id)
            mails += 1
        if len(batch) < BATCH:
            break
        last = batch[-1].id
    hooks = await StatusPageWebhook.filter(page_id=page.id).values_list("id", flat=True)
    for hook_id in hooks:
        await resources.redis.enqueue_job(
            "deliver_status_page_webhook",
            notice_id=notice.id,
            webhook_id=hook_id,
            _job_id=f"statuspage-webhook:{notice.id}:{hook_id}",
            _queue_name=CORE_QUEUE,
        )
    notice.fanned_out_at = clock.now()
    await notice.save(update_fields=["fanned_out_at"])
    log.info("status_page_notice_sent", notice_id=notice.id, mails=mails, webhooks=len(hooks))
    return mails, len(hooks)


def webhook_body(resources: Resources, page: StatusPage, notice: StatusPageNotice) -> bytes:
    payload = {
        "event": f"status_page.{notice.kind}",
        "page": {
            "slug": page.slug,
            "title": page.title,
            "url": subscribers.page_url(resources, page),
        },
        "title": notice.title,
        "text": notice.text,
        "status": notice.status,
        "at": notice.created_at.isoformat(),
    }
    return json.dumps(payload, separators=(",", ":")).encode()


async def deliver_webhook(
    resources: Resources, http: httpx.AsyncClient, notice_id: int, webhook_id: int, attempt: int
) -> float | None:
    """POST one notice to one webhook, signed like the webhook alert channel (same
    headers, same HMAC). Returns seconds to wait before a retry, or None when done."""
    notice = await StatusPageNotice.get_or_none(id=notice_id)
    hook = await StatusPageWebhook.get_or_none(id=webhook_id)
    if notice is None or hook is None or hook.page_id != notice.page_id:
        return None  # removed meanwhile
    page = await StatusPage.get(id=notice.page_id)
    secrets = resources.keyring.decrypt_json(hook.secrets_encrypted)
    body = webhook_body(resources, page, notice)
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Hitflow-Event": f"status_page.{notice.kind}",
        "X-Hitflow-Timestamp": timestamp,
        "X-Hitflow-Signature": sign(secrets["secret"], timestamp, body),
    }
    try:
        try:
            await check_url_safe(secrets["url"], resources.settings.probe_allow_private_networks)
        except UnsafeTarget:
            raise TransportError(
                "the URL now points at a refused address", permanent=True
            ) from None
        await send(http, "POST", secrets["url"], "The webhook", content=body, headers=headers)
    except TransportError as exc:
        final = exc.permanent or attempt >= MAX_WEBHOOK_TRIES
        log.warning(
            "status_page_webhook_failed",
            webhook_id=hook.id,
            attempt=attempt,
            error=exc.message,
            final=final,
        )
        return None if final else (exc.retry_after or min(2.0**attempt, 600.0))
    log.info("status_page_webhook_sent", webhook_id=hook.id, notice_id=notice.id)
    return None
