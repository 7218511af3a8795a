"""End to end: scheduler -> arq -> probe workers (every region) -> stream -> ingest -> DB,
against a real local HTTP server that stops and comes back."""

from __future__ import annotations

import asyncio

import pytest

from api.targets.models import CheckResult, StateTransition, Target
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.polling import wait_for
from tests.probes.servers import HTTPServer
from workers.settings import core_worker, probe_worker

pytestmark = pytest.mark.slow


async def _regions_with_results(target_id: int) -> set[str]:
    rows = await CheckResult.filter(target_id=target_id, status="UP", connect_ms__isnull=False)
    return {r.region for r in rows}


async def _status(target_id: int) -> str:
    return (await Target.get(id=target_id)).status.value


async def test_results_from_every_region_then_down_then_up(settings, resources):
    server = await HTTPServer().start()
    port = server.port
    account = await create_account(settings)
    target = await create_target(
        account.workspace, url=f"http://127.0.0.1:{port}/", interval=1, timeout=1.0,
        schedule=resources.redis, regions=[],
    )  # fmt: skip
    workers = [core_worker(resources, poll_delay=0.05)] + [
        probe_worker(resources, region, poll_delay=0.05) for region in settings.regions
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]
    try:
        # Results from each configured region, with phase timings, within two intervals.
        await wait_for(lambda: _all_regions(target.id, set(settings.regions)), timeout=10)
        assert await _status(target.id) == "UP"
        row = await CheckResult.filter(target_id=target.id).first()
        assert row.dns_ms is not None and row.first_byte_ms is not None
        assert row.check_id.startswith(f"{target.id}:")

        await server.stop()  # the site goes down
        await wait_for(lambda: _is(target.id, "DOWN"), timeout=10)
        down = await StateTransition.filter(target_id=target.id, to_status="DOWN").first()
        assert down is not None and down.cause.startswith("CONNECT_ERROR")
        assert len(down.regions) >= 2  # a majority of the 3 regions agreed

        server = await HTTPServer().start(port)  # and comes back
        await wait_for(lambda: _is(target.id, "UP"), timeout=10)
        assert await StateTransition.filter(target_id=target.id, to_status="UP").count() == 2
        # Each (target, region, due) slot was stored at most once.
        ids = await CheckResult.filter(target_id=target.id).values_list("check_id", flat=True)
        assert len(ids) == len(set(ids))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A job cut short by the cancel may find its Redis connection gone: not the
        # behaviour under test, so closing never hides the test's own outcome.
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        await server.stop()


async def _all_regions(target_id: int, wanted: set[str]) -> bool:
    return await _regions_with_results(target_id) == wanted


async def _is(target_id: int, status: str) -> bool:
    return await _status(target_id) == status
