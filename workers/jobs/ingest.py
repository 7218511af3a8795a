"""Result ingestion in the core worker: a Redis stream consumer group, at-least-once.

Entries are XACKed (and deleted) only after their results are committed; entries left
pending by a consumer that died are reclaimed with XAUTOCLAIM after CLAIM_IDLE_MS, so
a killed core worker loses nothing. Ingest is idempotent on check_id, so a re-delivery
stores nothing twice.

When Redis loses its data (a FLUSHALL, a restart without persistence, eviction) the
group and the stream vanish: the next read answers NOGROUP and the ingester creates them
again (from the stream's start, so results probes added since are not skipped). The
probes cap the stream (XADD MAXLEN ~ HITFLOW_RESULTS_STREAM_MAX_LEN); `stream_stats`
reports its length and the ingest lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
import uuid
from typing import Any

from redis.exceptions import ResponseError

from api.core import clock, tracing
from api.core.logging import get_logger
from api.incidents.dispatch import dispatch_transitions
from api.metrics.own import INGEST_DELAY
from api.targets.probe_contract import RESULTS_STREAM
from api.targets.state import IngestReport, ingest_results

log = get_logger(__name__)

GROUP = "hitflow-ingest"
CLAIM_IDLE_MS = 30_000
CLAIM_EVERY = 5.0


class Ingester:
    def __init__(
        self,
        resources: Any,
        *,
        consumer: str | None = None,
        batch: int = 200,
        block_ms: int = 200,
        claim_idle_ms: int = CLAIM_IDLE_MS,
    ) -> None:
        self.resources = resources
        self.redis = resources.redis
        self.consumer = consumer or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.batch = batch
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.stats = {"entries": 0, "stored": 0, "duplicates": 0, "conflicts": 0}
        self._task: asyncio.Task[None] | None = None
        self._last_claim = 0.0
        self._failing = False
        self._own_pending = False  # entries this consumer read and could not store yet

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(RESULTS_STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="hitflow-ingest")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run(self) -> None:
        grouped = False
        while True:
            try:
                if not grouped:
                    await self.ensure_group()
                    grouped = True
                # Resumed once something was read AND stored (a read of nothing proves
                # nothing about the database).
                if await self.step() and self._failing:
                    self._failing = False
                    log.info("ingest_resumed")
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # Redis lost the stream and its group: recreate
                    log.warning("ingest_group_recreated", error=str(exc)[:200])
                    grouped = False
                    continue
                await self._failed(exc)
            except Exception as exc:  # DB or Redis away: entries stay pending, retry
                await self._failed(exc)

    async def _failed(self, exc: Exception) -> None:
        self._own_pending = True
        if not self._failing:  # one line per outage, not one per attempt
            self._failing = True
            log.error("ingest_step_failed", error=repr(exc))
        await asyncio.sleep(0.5)

    async def step(self) -> int:
        if time.monotonic() - self._last_claim > CLAIM_EVERY:
            self._last_claim = time.monotonic()
            await self.reclaim()
        if self._own_pending:
            # After a failed step (the database or Redis away) what this consumer read is
            # still pending: take it again, oldest first, before anything new.
            entries = await self._read("0", block=None)
            if entries:
                await self.process(entries)
                return len(entries)
            self._own_pending = False
        entries = await self._read(">", block=self.block_ms)
        if entries:
            await self.process(entries)
        return len(entries)

    async def _read(self, start: str, *, block: int | None) -> list[tuple[Any, Any]]:
        response = await self.redis.xreadgroup(
            GROUP, self.consumer, {RESULTS_STREAM: start}, count=self.batch, block=block
        )
        return [entry for _, stream_entries in (response or []) for entry in stream_entries]

    async def reclaim(self) -> int:
        """Take over entries another (dead) consumer left pending too long."""
        start, total = "0-0", 0
        while True:
            reply = await self.redis.xautoclaim(
                RESULTS_STREAM, GROUP, self.consumer, self.claim_idle_ms, start, count=self.batch
            )
            start, claimed = reply[0], reply[1]
            if claimed:
                total += len(claimed)
                await self.process(claimed)
            if not claimed or start in (b"0-0", "0-0"):
                break
        if total:
            log.info("ingest_reclaimed", entries=total)
        await self.forget_dead_consumers()
        return total

    async def forget_dead_consumers(self) -> None:
        """Each process joins under a new name: drop names idle an hour with nothing pending."""
        for consumer in await self.redis.xinfo_consumers(RESULTS_STREAM, GROUP):
            name = consumer.get("name")
            name = name.decode() if isinstance(name, bytes) else str(name)
            if (
                name != self.consumer
                and not consumer.get("pending")
                and consumer.get("idle", 0) > 3_600_000
            ):
                await self.redis.xgroup_delconsumer(RESULTS_STREAM, GROUP, name)

    async def process(self, entries: list[tuple[Any, Any]]) -> IngestReport:
        results: list[dict[str, Any]] = []
        ids = []
        for entry_id, fields in entries:
            ids.append(entry_id)
            if not fields:
                continue  # deleted from the stream while pending: nothing to ingest
            raw = fields.get(b"r") or fields.get("r")
            try:
                results.extend(json.loads(raw))
            except (TypeError, ValueError):
                log.error("ingest_bad_entry", entry_id=str(entry_id))
        with tracing.span("ingest results"):
            report = await ingest_results(self.resources, results)
        await self.acknowledge(ids)
        now = time.time()  # stream ids hold the wall-clock ms of the XADD
        for entry_id in ids:
            added_ms = int(_text(entry_id).split("-")[0])
            INGEST_DELAY.observe(max(0.0, now - added_ms / 1000))
        self.stats["entries"] += len(ids)
        self.stats["stored"] += report.stored
        self.stats["duplicates"] += report.duplicates
        self.stats["conflicts"] += report.conflicts
        if report.transitions:
            await dispatch_transitions(self.redis)
        return report

    async def acknowledge(self, ids: list[Any]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.xack(RESULTS_STREAM, GROUP, *ids)
        pipe.xdel(RESULTS_STREAM, *ids)
        await pipe.execute()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def stream_stats(redis: Any) -> dict[str, Any]:
    """The results stream's backlog, for monitoring: `length` (entries in the stream: the
    ingest backlog, as ingested entries are deleted), `pending` (delivered to an ingester,
    not yet committed), `oldest_pending_age_s` (how long the oldest of those has waited
    since it was added), `lag` (entries not yet delivered to any ingester; None on Redis
    before 7), `consumers`, and `group` (False when the group is missing: Redis lost it
    and no ingester has recreated it yet)."""
    length = int(await redis.xlen(RESULTS_STREAM))
    stats: dict[str, Any] = {
        "length": length,
        "pending": 0,
        "oldest_pending_age_s": None,
        "lag": None,
        "consumers": 0,
        "group": False,
    }
    try:
        groups = await redis.xinfo_groups(RESULTS_STREAM)
    except ResponseError:  # no such stream
        return stats
    for info in groups:
        name = info.get("name")
        if (name.decode() if isinstance(name, bytes) else name) != GROUP:
            continue
        stats["group"] = True
        stats["pending"] = int(info.get("pending") or 0)
        stats["consumers"] = int(info.get("consumers") or 0)
        lag = info.get("lag")
        stats["lag"] = None if lag is None else int(lag)
    if stats["pending"]:
        summary = await redis.xpending(RESULTS_STREAM, GROUP)
        oldest = summary.get("min")
        if oldest:
            oldest = oldest.decode() if isinstance(oldest, bytes) else str(oldest)
            added_ms = int(oldest.split("-")[0])
            stats["oldest_pending_age_s"] = max(0.0, clock.now().timestamp() - added_ms / 1000)
    return stats


async def start_ingest(ctx: dict[str, Any]) -> None:
    if ctx.get("burst") or "ingester" in ctx:
        return  # a burst worker runs no loop; a restarted arq loop keeps the running one
    resources = ctx["resources"]
    claim_idle_ms = int(resources.settings.ingest_claim_idle_seconds * 1000)
    ingester = Ingester(resources, claim_idle_ms=claim_idle_ms)
    ctx["ingester"] = ingester
    ingester.start()


async def stop_ingest(ctx: dict[str, Any]) -> None:
    ingester = ctx.pop("ingester", None)
    if ingester is not None:
        await ingester.stop()
