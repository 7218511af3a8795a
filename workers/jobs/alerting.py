"""Alerting jobs: process state transitions, and the periodic fallback (leftover
transitions, incidents held back by maintenance, reminders, stale deliveries)."""

from __future__ import annotations

from typing import Any

from api.core import clock
from api.core.logging import get_logger
from api.incidents import service
from api.maintenance.service import mark_results
from api.redis import is_unreachable

log = get_logger(__name__)


async def process_transitions(ctx: dict[str, Any]) -> int:
    """Enqueued by the ingest (job id per batch) when it wants alerting done out of band;
    one pass at a time (a request while one runs makes it run once more).

    Redis going away mid-pass is an outage, not a bug: one structured line, no traceback,
    nothing lost (transitions are claimed in the database; the pass that follows the
    outage, or the minute tick, handles what this one left)."""
    try:
        return await service.process_transitions_serially(ctx["resources"])
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        log.warning("alerting_pass_interrupted", error=type(exc).__name__)
        return 0


async def notify_held_incidents(ctx: dict[str, Any]) -> int:
    """Enqueued for the end of a dependency settle window (api/incidents/dispatch.py)."""
    return await service.notify_after_maintenance(ctx["resources"])


async def alerting_tick(ctx: dict[str, Any]) -> dict[str, int]:
    resources = ctx["resources"]
    done = {
        "transitions": await service.process_transitions_serially(resources),
        "after_maintenance": await service.notify_after_maintenance(resources),
        "reminders": await service.send_reminders(resources),
        "requeued": await service.requeue_stale(resources),
        "results_in_maintenance": await mark_results(clock.now()),
    }
    if any(done.values()):
        log.info("alerting_tick", **done)
    return done


async def check_certificates(ctx: dict[str, Any]) -> int:
    return await service.check_certificates(ctx["resources"])
