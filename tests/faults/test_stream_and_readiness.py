"""The pieces the fault suite relies on, in process: the capped results stream and its
figures, the ingester recreating its group, the probe's stale-batch rule, `hitflow health`."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app as cli
from api.core import clock
from api.targets.models import CheckResult
from api.targets.probe_contract import RESULTS_STREAM, build_spec
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target
from tests.polling import wait_for
from tests.probes.servers import HTTPServer
from workers.jobs.checks import hand_off, run_batch
from workers.jobs.ingest import GROUP, Ingester, stream_stats


async def test_the_results_stream_is_capped_oldest_entries_first(resources):
    for i in range(50):
        await hand_off(
            resources.redis, [{"check_id": f"x:{i}:{j}"} for j in range(100)], max_len=1000
        )
    for i in range(2950):
        await hand_off(resources.redis, [{"check_id": f"y:{i}"}], max_len=1000)
    length = await resources.redis.xlen(RESULTS_STREAM)
    # MAXLEN ~ trims whole nodes (100 entries): at most one node over the cap.
    assert 1000 <= length <= 1100
    first = await resources.redis.xrange(RESULTS_STREAM, count=1)
    assert b"x:" not in first[0][1][b"r"]  # the oldest went first


async def test_stream_stats_report_backlog_pending_and_age(settings, resources):
    assert (await stream_stats(resources.redis))["group"] is False  # nothing yet
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    for due in range(3):
        await hand_off(resources.redis, [probe_result(target, "eu-west", due_ms=due)])
    ingester = Ingester(resources, consumer="slow")
    await ingester.ensure_group()
    await resources.redis.xreadgroup(GROUP, "slow", {RESULTS_STREAM: ">"}, count=2)
    await asyncio.sleep(0.2)
    stats = await stream_stats(resources.redis)
    assert stats["group"] is True and stats["length"] == 3 and stats["pending"] == 2
    assert stats["consumers"] == 1
    assert stats["oldest_pending_age_s"] >= 0.2
    if stats["lag"] is not None:  # Redis 7+
        assert stats["lag"] == 1
    ingester.claim_idle_ms = 0
    while await ingester.step():
        pass
    stats = await stream_stats(resources.redis)
    assert (stats["length"], stats["pending"], stats["oldest_pending_age_s"]) == (0, 0, None)


async def test_the_ingester_recreates_its_group_after_redis_lost_its_data(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    ingester = Ingester(resources, consumer="core", block_ms=50)
    ingester.start()
    try:
        await hand_off(resources.redis, [probe_result(target, "eu-west", due_ms=1)])
        await wait_for(lambda: CheckResult.filter(target_id=target.id).exists(), timeout=5)
        # The stream and its group vanish (what FLUSHALL or an eviction does to them; the
        # process-level FLUSHALL is in test_faults.py, on a Redis of its own).
        await resources.redis.delete(RESULTS_STREAM)
        await hand_off(resources.redis, [probe_result(target, "eu-west", due_ms=2)])

        async def both() -> bool:
            return await CheckResult.filter(target_id=target.id).count() == 2

        await wait_for(both, timeout=5)
        assert (await stream_stats(resources.redis))["group"] is True
    finally:
        await ingester.stop()


async def test_a_batch_first_started_late_is_skipped_but_a_re_run_is_not(settings, resources):
    server = await HTTPServer().start()
    try:
        account = await create_account(settings)
        target = await create_target(account.workspace, url=server.base + "/", regions=[])
        late = int(clock.now().timestamp() * 1000) - 60_000  # due a minute ago
        checks = [{"spec": build_spec(target), "due": late}]
        assert (
            await run_batch({"resources": resources, "job_try": 1}, region="eu-west", checks=checks)
            == 0
        )
        assert server.connections == 0
        # The re-run of a batch whose probe died runs whatever its age.
        assert (
            await run_batch({"resources": resources, "job_try": 2}, region="eu-west", checks=checks)
            == 1
        )
        assert server.connections == 1
        on_time = [{"spec": build_spec(target), "due": late + 55_000}]
        assert (
            await run_batch(
                {"resources": resources, "job_try": 1}, region="eu-west", checks=on_time
            )
            == 1
        )
    finally:
        await server.stop()


def test_hitflow_health_reads_the_readiness_file(tmp_path: Path):
    runner = CliRunner()
    ready = tmp_path / "hitflow.ready"
    absent = runner.invoke(cli, ["health", "--file", str(ready)])
    assert absent.exit_code == 1 and "absent" in absent.output
    ready.write_text("1\n")
    fresh = runner.invoke(cli, ["health", "--file", str(ready)])
    assert fresh.exit_code == 0 and "ready" in fresh.output
    old = time.time() - 60
    os.utime(ready, (old, old))
    stuck = runner.invoke(cli, ["health", "--file", str(ready), "--max-age", "10"])
    assert stuck.exit_code == 1 and "not touched" in stuck.output
