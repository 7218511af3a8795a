"""A probe process keeps ONE admission control and one probe context for all its batches.

arq hands each job a copy of the worker's ctx: state a batch put there lived for that
batch only, so each batch made its own ProbeLoad, whose loop-lag sampler then ran for
the rest of the process (a probe woke up 20 more times a second per batch ever run) and
whose concurrency limit held per batch instead of per process.
"""

from __future__ import annotations

import asyncio

from api.core import clock
from api.resources import probe_queue
from api.targets.probe_contract import build_spec
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.probes.servers import HTTPServer
from workers.settings import probe_worker

REGION = "eu-west"


def samplers() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "probe-loop-lag" and not t.done()]


async def test_batches_share_one_sampler_and_it_stops_with_the_worker(settings, resources):
    server = await HTTPServer().start()
    try:
        account = await create_account(settings)
        target = await create_target(
            account.workspace, url=f"http://127.0.0.1:{server.port}/", regions=[REGION]
        )
        spec = build_spec(target)
        due = int(clock.now().timestamp() * 1000)
        # given three batches waiting in the region's queue
        for i in range(3):
            await resources.redis.enqueue_job(
                "run_checks",
                region=REGION,
                checks=[{"spec": spec, "due": due + i}],
                _job_id=f"test-batch-{i}",
                _queue_name=probe_queue(REGION),
            )
        worker = probe_worker(resources, REGION, burst=True, poll_delay=0.01)
        # when one probe worker runs them all
        await worker.async_run()
        try:
            assert worker.jobs_complete == 3
            # then one sampler runs, the worker's own
            running = samplers()
            assert len(running) == 1
            load = worker.ctx["probe_load"]
            assert running[0] is load._sampler
            assert load.peak_in_flight >= 1
            assert "probe_context" in worker.ctx
        finally:
            await worker.close()
        # and closing the worker stops it
        assert samplers() == []
    finally:
        await server.stop()
