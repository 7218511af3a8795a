"""Status page subscribers: the notice of an incident / update / maintenance, its signed
webhook POSTs, and forgetting addresses never confirmed."""

from __future__ import annotations

from typing import Any

from arq import Retry

from api.statuspages import notices, subscribers
from workers.jobs.delivery import open_clients


async def notify_status_page_subscribers(ctx: dict[str, Any], *, kind: str, ref_id: int) -> None:
    resources = ctx["resources"]
    for notice in await notices.create_notices(kind, ref_id):
        if notice.fanned_out_at is None:
            await notices.fan_out(resources, notice)


async def deliver_status_page_webhook(
    ctx: dict[str, Any], *, notice_id: int, webhook_id: int
) -> None:
    if "alert_http_guarded" not in ctx:
        await open_clients(ctx)
    delay = await notices.deliver_webhook(
        ctx["resources"],
        ctx["alert_http_guarded"],
        notice_id,
        webhook_id,
        attempt=ctx.get("job_try", 1),
    )
    if delay is not None:
        raise Retry(defer=delay)


async def expire_status_page_subscriptions(ctx: dict[str, Any]) -> int:
    return await subscribers.expire_pending()
