"""Result hand-off through the Redis stream: at-least-once, stored exactly once."""

from __future__ import annotations

import pytest

from api.targets.models import CheckResult
from api.targets.probe_contract import RESULTS_STREAM
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target
from tests.probes.servers import HTTPServer
from workers.jobs.checks import hand_off, run_checks
from workers.jobs.ingest import GROUP, Ingester


async def _pending(redis) -> int:
    return int((await redis.xpending(RESULTS_STREAM, GROUP))["pending"])


async def test_ingester_killed_before_ack_loses_nothing_and_stores_once(
    settings, resources, monkeypatch
):
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    await hand_off(
        resources.redis,
        [probe_result(target, "eu-west", due_ms=1), probe_result(target, "us-east", due_ms=1)],
    )
    await hand_off(resources.redis, [probe_result(target, "ap-south", due_ms=1)])

    dying = Ingester(resources, consumer="dying")
    await dying.ensure_group()

    async def killed(ids):
        raise RuntimeError("core worker killed before XACK")

    monkeypatch.setattr(dying, "acknowledge", killed)
    with pytest.raises(RuntimeError):
        await dying.step()  # read + stored, never acknowledged
    assert await _pending(resources.redis) == 2

    survivor = Ingester(resources, consumer="survivor", claim_idle_ms=0)
    await survivor.step()  # reclaims the dead consumer's entries
    assert survivor.stats["entries"] == 2 and survivor.stats["duplicates"] == 3
    assert await CheckResult.filter(target_id=target.id).count() == 3
    assert await _pending(resources.redis) == 0
    assert await resources.redis.xlen(RESULTS_STREAM) == 0  # acknowledged entries are deleted


async def test_entries_read_by_a_consumer_that_died_before_ingesting_are_ingested(
    settings, resources
):
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=[])
    await hand_off(resources.redis, [probe_result(target, "eu-west", due_ms=7)])
    ghost = Ingester(resources, consumer="ghost")
    await ghost.ensure_group()
    await resources.redis.xreadgroup(GROUP, "ghost", {RESULTS_STREAM: ">"}, count=10)
    # Not idle long enough yet: a live consumer's entries are left alone.
    patient = Ingester(resources, consumer="patient", claim_idle_ms=60_000)
    await patient.step()
    assert await CheckResult.filter(target_id=target.id).count() == 0
    eager = Ingester(resources, consumer="eager", claim_idle_ms=0)
    await eager.step()
    assert await CheckResult.filter(target_id=target.id).count() == 1


async def test_a_probe_job_run_twice_stores_each_check_once(settings, resources):
    server = await HTTPServer().start()
    try:
        account = await create_account(settings)
        target = await create_target(account.workspace, url=server.base + "/", regions=[])
        from api.core import clock
        from api.targets.probe_contract import build_spec

        # Due now: a check far past its due time is not started (workers/probes/load.py).
        due = int(clock.now().timestamp() * 1000)
        checks = [{"spec": build_spec(target), "due": due + i} for i in range(3)]
        ctx = {"resources": resources}
        assert await run_checks(ctx, region="eu-west", checks=checks) == 3
        assert await run_checks(ctx, region="eu-west", checks=checks) == 3  # arq retry
        ingester = Ingester(resources, consumer="core")
        await ingester.ensure_group()
        while await ingester.step():
            pass
        rows = await CheckResult.filter(target_id=target.id).order_by("check_id")
        assert [r.check_id for r in rows] == [f"{target.id}:eu-west:{due + i}" for i in range(3)]
        assert all(r.status.value == "UP" and r.connect_ms is not None for r in rows)
        assert server.connections == 6
    finally:
        await server.stop()
