"""The probe job: run one region's batch of due checks, hand results back via Redis.

Results are XADDed to RESULTS_STREAM as they complete (flushed every 250 ms), so a
fast check is not held back by a slow one; the core worker ingests them
(workers/jobs/ingest.py). A re-run of the job (worker killed) produces the same check
ids, which the ingest skips.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from api.metrics.own import CHECKS
from api.targets.probe_contract import RESULTS_STREAM
from workers.probes.base import ProbeContext, probe_context
from workers.probes.runner import run_check

FLUSH_SECONDS = 0.25


def _probe_context(ctx: dict[str, Any]) -> ProbeContext:
    pctx = ctx.get("probe_context")
    if pctx is None:
        resources = ctx["resources"]
        pctx = probe_context(resources.settings, resources.keyring)
        ctx["probe_context"] = pctx
    return pctx


async def hand_off(redis: Any, results: list[dict[str, Any]]) -> None:
    if results:
        payload = json.dumps(results, separators=(",", ":"), default=str)
        await redis.xadd(RESULTS_STREAM, {"r": payload})


async def run_checks(ctx: dict[str, Any], *, region: str, checks: list[dict[str, Any]]) -> int:
    pctx = _probe_context(ctx)
    redis = ctx["resources"].redis
    pending = {asyncio.create_task(run_check(check, region, pctx)) for check in checks}
    while pending:
        done, pending = await asyncio.wait(pending, timeout=FLUSH_SECONDS)
        results = [task.result() for task in done]
        await hand_off(redis, results)
        for result in results:
            CHECKS.labels(region, str(result.get("status", "UNKNOWN"))).inc()
    return len(checks)
