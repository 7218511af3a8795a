"""The probe job: run one region's batch of due checks, hand results back via Redis.

Results are XADDed to RESULTS_STREAM as they complete (flushed every 250 ms), so a
fast check is not held back by a slow one; the core worker ingests them
(workers/jobs/ingest.py). A re-run of the job (worker killed) produces the same check
ids, which the ingest skips.

Every check goes through the process's admission control (workers/probes/load.py): a
check the probe cannot run fairly (too late, loop lagging, too many in flight) comes
back INCONCLUSIVE instead of DOWN, and is counted in the region's probe metrics hash.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from api.targets.probe_contract import RESULTS_STREAM
from workers.probes.base import ProbeContext, probe_context
from workers.probes.load import INCONCLUSIVE, Limits, ProbeLoad, probe_metrics_key
from workers.probes.runner import run_check, skipped_result

FLUSH_SECONDS = 0.25


def _probe_context(ctx: dict[str, Any]) -> ProbeContext:
    pctx = ctx.get("probe_context")
    if pctx is None:
        resources = ctx["resources"]
        pctx = probe_context(resources.settings, resources.keyring)
        ctx["probe_context"] = pctx
    return pctx


def probe_load(ctx: dict[str, Any], region: str) -> ProbeLoad:
    """The process's admission control (its loop-lag sampler starts with the first job)."""
    load: ProbeLoad | None = ctx.get("probe_load")
    if load is None:
        load = ProbeLoad(region, Limits.of(ctx["resources"].settings))
        ctx["probe_load"] = load
    load.start()
    return load


async def hand_off(redis: Any, results: list[dict[str, Any]], region: str | None = None) -> None:
    """One stream entry for the batch (and, with `region`, the probe metrics, same trip)."""
    if not results:
        return
    payload = json.dumps(results, separators=(",", ":"), default=str)
    if region is None:
        await redis.xadd(RESULTS_STREAM, {"r": payload})
        return
    skipped = forgiven = 0
    for r in results:
        if r["status"] == INCONCLUSIVE:
            if str(r["error"]).startswith("SKIPPED"):
                skipped += 1
            else:
                forgiven += 1
    pipe = redis.pipeline(transaction=False)
    pipe.xadd(RESULTS_STREAM, {"r": payload})
    key = probe_metrics_key(region)
    pipe.hincrby(key, "results", len(results))
    if skipped:
        pipe.hincrby(key, "skipped", skipped)
    if forgiven:
        pipe.hincrby(key, "forgiven", forgiven)
    await pipe.execute()


async def run_checks(ctx: dict[str, Any], *, region: str, checks: list[dict[str, Any]]) -> int:
    pctx = _probe_context(ctx)
    load = probe_load(ctx, region)
    redis = ctx["resources"].redis

    def admitted(check: dict[str, Any]) -> Any:
        return load.run(
            int(check["due"]),
            lambda: run_check(check, region, pctx),
            lambda reason: skipped_result(check, region, reason),
            check["spec"].get("interval"),
            check["spec"].get("timeout"),
        )

    pending = {asyncio.create_task(admitted(check)) for check in checks}
    while pending:
        done, pending = await asyncio.wait(pending, timeout=FLUSH_SECONDS)
        await hand_off(redis, [task.result() for task in done], region)
    return len(checks)
