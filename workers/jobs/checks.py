"""The probe job: run one region's batch of due checks, hand results back via Redis.

Results are XADDed to RESULTS_STREAM as they complete (flushed every 250 ms), so a
fast check is not held back by a slow one; the core worker ingests them
(workers/jobs/ingest.py). A re-run of the job (worker killed) produces the same check
ids, which the ingest skips.

`run_batch` is the job arq runs (registered as "run_checks"): it renews the batch's
in-progress mark while it runs, so that a probe killed mid-batch leaves a mark that
expires within IN_PROGRESS_SECONDS and the next probe of the region re-runs the batch;
and it skips a batch first started more than STALE_AFTER s after its checks were due
(a probe backlog: those slots are skipped, the next ones run on time).

Every check goes through the process's admission control (workers/probes/load.py): a
check the probe cannot run fairly (too late, loop lagging, too many in flight) comes
back INCONCLUSIVE instead of DOWN, and is counted in the region's probe metrics hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from arq.constants import in_progress_key_prefix

from api.core import clock
from api.core.logging import get_logger
from api.metrics.own import CHECK_START_DELAY, CHECKS, CHECKS_LATE, late_reason
from api.redis import is_unreachable
from api.targets.probe_contract import RESULTS_STREAM
from workers.probes.base import ProbeContext, probe_context
from workers.probes.load import INCONCLUSIVE, Limits, ProbeLoad, probe_metrics_key
from workers.probes.runner import run_check, skipped_result

FLUSH_SECONDS = 0.25
IN_PROGRESS_SECONDS = 10  # arq's in-progress mark of a running batch; renewed every 3 s
STALE_AFTER = 30.0  # a batch first started this late (s after due) is skipped
HANDOFF_PATIENCE = 30.0  # how long results wait in memory for Redis to come back
DEFAULT_STREAM_MAX_LEN = 200_000  # Settings.results_stream_max_len

log = get_logger(__name__)


def _probe_context(ctx: dict[str, Any]) -> ProbeContext:
    pctx = ctx.get("probe_context")
    if pctx is None:
        resources = ctx["resources"]
        pctx = probe_context(resources.settings, resources.keyring)
        ctx["probe_context"] = pctx
    return pctx


def probe_load(ctx: dict[str, Any], region: str) -> ProbeLoad:
    """The process's admission control (its loop-lag sampler runs while it is in use)."""
    load: ProbeLoad | None = ctx.get("probe_load")
    if load is None:
        load = ProbeLoad(region, Limits.of(ctx["resources"].settings))
        ctx["probe_load"] = load
    load.start()
    return load


async def start_probe(ctx: dict[str, Any]) -> None:
    """Probe worker startup hook: the process-wide probe state, in the WORKER's ctx.

    arq gives each job a copy of the worker's ctx, so state first made inside a job lived
    for that batch only: every batch built its own ProbeContext and ProbeLoad (whose
    concurrency limit then held per batch, not per process) and left its loop-lag sampler
    running for good, so a probe woke up 20 more times a second for every batch it had
    ever run. Made here once, every batch shares them. Idempotent (the supervisor runs
    the startup hooks again when Redis comes back)."""
    _probe_context(ctx)
    probe_load(ctx, str(ctx["region"]))


async def stop_probe(ctx: dict[str, Any]) -> None:
    load: ProbeLoad | None = ctx.pop("probe_load", None)
    if load is not None:
        await load.stop()


async def hand_off(
    redis: Any,
    results: list[dict[str, Any]],
    region: str | None = None,
    *,
    max_len: int = DEFAULT_STREAM_MAX_LEN,
) -> None:
    """XADD the batch's results as one entry, capped at ~max_len entries (the oldest go
    first), with (given `region`) the probe metrics in the same round trip.

    While Redis is unreachable (a restart) the results wait here, retried with backoff for
    up to HANDOFF_PATIENCE s; after that the job fails and arq retries the batch."""
    if not results:
        return
    payload = json.dumps(results, separators=(",", ":"), default=str)
    inconclusive = [r for r in results if region is not None and r["status"] == INCONCLUSIVE]
    skipped = sum(1 for r in inconclusive if str(r["error"]).startswith("SKIPPED"))
    forgiven = len(inconclusive) - skipped
    deadline = time.monotonic() + HANDOFF_PATIENCE
    delay = 0.1
    while True:
        try:
            pipe = redis.pipeline(transaction=False)
            pipe.xadd(RESULTS_STREAM, {"r": payload}, maxlen=max_len, approximate=True)
            if region is not None:
                key = probe_metrics_key(region)
                pipe.hincrby(key, "results", len(results))
                if skipped:
                    pipe.hincrby(key, "skipped", skipped)
                if forgiven:
                    pipe.hincrby(key, "forgiven", forgiven)
            await pipe.execute()
            return
        except Exception as exc:
            if not is_unreachable(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)


@contextlib.asynccontextmanager
async def renewing_in_progress(ctx: dict[str, Any]) -> AsyncIterator[None]:
    """Keep arq's in-progress mark of this job alive while it runs (see module docstring)."""
    redis, job_id = ctx.get("redis") or ctx["resources"].redis, ctx.get("job_id")

    async def renew() -> None:
        key = in_progress_key_prefix + str(job_id)
        while True:
            await asyncio.sleep(IN_PROGRESS_SECONDS / 3)
            # PEXPIRE never creates a key: a mark already gone (job finished) stays gone.
            with contextlib.suppress(Exception):  # Redis away: the mark expires, that is all
                await redis.pexpire(key, IN_PROGRESS_SECONDS * 1000)

    task = asyncio.create_task(renew()) if job_id else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def is_stale(ctx: dict[str, Any], checks: list[dict[str, Any]]) -> bool:
    """A first try started STALE_AFTER s past its checks' due time (a re-run never is)."""
    if not checks or int(ctx.get("job_try") or 1) > 1:
        return False
    oldest_due = min(int(check["due"]) for check in checks) / 1000
    return clock.now().timestamp() - oldest_due > STALE_AFTER


def wire_checks(checks: list[dict[str, Any]] | bytes | str) -> list[dict[str, Any]]:
    """A batch as the job carries it: the scheduler's JSON text of the checks (it passes
    the specs through as Redis holds them), or a list (a batch enqueued otherwise)."""
    if isinstance(checks, bytes | str):
        parsed: list[dict[str, Any]] = json.loads(checks)
        return parsed
    return checks


async def run_batch(
    ctx: dict[str, Any], *, region: str, checks: list[dict[str, Any]] | bytes | str
) -> int:
    """The probe job (arq name "run_checks"): run_checks with the rules above."""
    checks = wire_checks(checks)
    if is_stale(ctx, checks):
        log.warning("probe_batch_skipped_stale", region=region, checks=len(checks))
        CHECKS_LATE.labels(region, "stale_batch").inc(len(checks))
        return 0
    async with renewing_in_progress(ctx):
        return await run_checks(ctx, region=region, checks=checks)


async def run_checks(ctx: dict[str, Any], *, region: str, checks: list[dict[str, Any]]) -> int:
    pctx = _probe_context(ctx)
    load = probe_load(ctx, region)
    redis = ctx["resources"].redis

    # A re-run (its probe died mid-batch) is late by nature: its lateness is counted from
    # the re-run, so the checks are run rather than skipped (issue 12: never silently lost).
    rerun_from = int(clock.now().timestamp() * 1000) if int(ctx.get("job_try") or 1) > 1 else 0
    start_delay = CHECK_START_DELAY.labels(region)  # label lookups once a batch, not a check

    def admitted(check: dict[str, Any]) -> Any:
        due_ms = max(int(check["due"]), rerun_from)

        def started() -> Any:
            start_delay.observe(max(0.0, clock.now().timestamp() - due_ms / 1000))
            return run_check(check, region, pctx)

        return load.run(
            due_ms,
            started,
            lambda reason: skipped_result(check, region, reason),
            check["spec"].get("interval"),
            check["spec"].get("timeout"),
        )

    pending = {asyncio.create_task(admitted(check)) for check in checks}
    while pending:
        done, pending = await asyncio.wait(pending, timeout=FLUSH_SECONDS)
        results = [task.result() for task in done]
        await hand_off(redis, results, region, max_len=_max_len(ctx))
        statuses = Counter(str(result.get("status", "UNKNOWN")) for result in results)
        for status, n in statuses.items():
            CHECKS.labels(region, status).inc(n)
        if statuses[INCONCLUSIVE]:
            errors = (str(r.get("error") or "") for r in results if r["status"] == INCONCLUSIVE)
            late = Counter(late_reason(e) for e in errors if e.startswith("SKIPPED"))
            for reason, n in late.items():
                CHECKS_LATE.labels(region, reason).inc(n)
    return len(checks)


def _max_len(ctx: dict[str, Any]) -> int:
    return int(ctx["resources"].settings.results_stream_max_len)
