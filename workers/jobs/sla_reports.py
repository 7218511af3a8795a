"""Monthly SLA report e-mails: a cron that enqueues one job per schedule and month."""

from __future__ import annotations

from typing import Any

from api.resources import CORE_QUEUE
from api.results.report_schedule import due, send_month


async def queue_monthly_sla_reports(ctx: dict[str, Any]) -> int:
    """Enqueue the month's report of every schedule not sent yet (idempotent: job id)."""
    redis = ctx["resources"].redis
    queued = 0
    for schedule_id, month in await due():
        job = await redis.enqueue_job(
            "send_monthly_sla_report",
            schedule_id=schedule_id,
            month=month,
            _job_id=f"sla-report:{schedule_id}:{month}",
            _queue_name=CORE_QUEUE,
        )
        queued += job is not None
    return queued


async def send_monthly_sla_report(ctx: dict[str, Any], *, schedule_id: int, month: str) -> str:
    return await send_month(ctx["resources"], schedule_id, month)
