"""Hitflow's own metrics along a check's way: scheduled per region, queue depths, checks
done and late, ingest delay and the results stream backlog, and data-lifecycle runs."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import generate_latest

from api.core import clock
from api.metrics.own import REGISTRY
from api.resources import CORE_QUEUE, probe_queue
from api.targets.models import CheckResult
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.metrics.test_own_metrics import value
from tests.probes.servers import HTTPServer
from workers.jobs.ingest import Ingester
from workers.jobs.scheduler import Scheduler
from workers.sampling import sample_once
from workers.settings import probe_worker


def scrape() -> str:
    return generate_latest(REGISTRY).decode()


async def run_probe(resources, region: str) -> None:
    worker = probe_worker(resources, region, burst=True, poll_delay=0.01)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def test_a_check_is_counted_scheduled_queued_done_and_ingested(settings, resources):
    server = await HTTPServer().start()
    account = await create_account(settings)
    target = await create_target(
        account.workspace, url=f"http://127.0.0.1:{server.port}/", interval=30, timeout=2.0,
        schedule=resources.redis, regions=["eu-west", "us-east"],
    )  # fmt: skip
    before = scrape()

    def delta(text: str, name: str, **labels: str) -> float:
        return value(text, name, **labels) - value(before, name, **labels)

    try:
        assert await Scheduler(resources).tick() == 2
        await sample_once(resources)
        queued = scrape()
        assert delta(queued, "hitflow_checks_scheduled_total", region="eu-west") == 1
        assert delta(queued, "hitflow_checks_scheduled_total", region="us-east") == 1
        assert delta(queued, "hitflow_checks_scheduled_total", region="ap-south") == 0
        eu_queue, core = probe_queue("eu-west"), CORE_QUEUE
        assert value(queued, "hitflow_queue_jobs", queue=eu_queue, state="queued") == 1
        assert value(queued, "hitflow_queue_jobs", queue=core, state="queued") == 0

        await run_probe(resources, "eu-west")
        await sample_once(resources)
        probed = scrape()
        assert value(probed, "hitflow_queue_jobs", queue=eu_queue, state="queued") == 0
        assert (
            value(probed, "hitflow_queue_jobs", queue=probe_queue("us-east"), state="queued") == 1
        )
        assert delta(probed, "hitflow_checks_total", region="eu-west", status="UP") == 1
        assert delta(probed, "hitflow_check_start_delay_seconds_count", region="eu-west") == 1
        # One result waits in the stream: that is the ingest backlog.
        assert value(probed, "hitflow_results_stream_length") == 1

        ingester = Ingester(resources)
        await ingester.ensure_group()
        assert await ingester.step() == 1
        await sample_once(resources)
        ingested = scrape()
        assert await CheckResult.filter(target_id=target.id).count() == 1
        assert delta(ingested, "hitflow_ingest_delay_seconds_count") == 1
        assert value(ingested, "hitflow_results_stream_length") == 0
        assert value(ingested, "hitflow_results_stream_pending") == 0
        assert value(ingested, "hitflow_results_stream_consumers") == 1
    finally:
        await server.stop()


async def test_a_batch_picked_up_too_late_is_counted_late_not_done(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, interval=30, regions=["eu-west"])
    due = int((clock.now() - timedelta(seconds=90)).timestamp() * 1000)  # a probe backlog
    before = scrape()
    await resources.redis.enqueue_job(
        "run_checks", region="eu-west", checks=[{"spec": {"targetId": target.id}, "due": due}],
        _queue_name=probe_queue("eu-west"),
    )  # fmt: skip
    await run_probe(resources, "eu-west")
    after = scrape()
    late = "hitflow_checks_late_total"
    assert (
        value(after, late, region="eu-west", reason="stale_batch")
        - value(before, late, region="eu-west", reason="stale_batch")
        == 1
    )
    assert value(after, "hitflow_checks_total", region="eu-west") == value(
        before, "hitflow_checks_total", region="eu-west"
    )


async def test_retention_and_purge_runs_are_counted_with_the_rows_they_delete(
    settings, resources, run_core_jobs
):
    account = await create_account(settings)
    target = await create_target(account.workspace, interval=30, regions=["eu-west"])
    old = clock.now() - timedelta(days=settings.retention_days + 3)
    for i in range(3):
        await CheckResult.create(
            check_id=f"{target.id}:eu-west:{i}", target_id=target.id, region="eu-west",
            status="UP", checked_at=old,
        )  # fmt: skip
    before = scrape()
    started = clock.now().timestamp()
    await resources.redis.enqueue_job("apply_retention", _queue_name=CORE_QUEUE)
    await resources.redis.enqueue_job("purge_deleted_accounts", _queue_name=CORE_QUEUE)
    await run_core_jobs()
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("hitflow_lifecycle_runs_total", job="retention", outcome="ok") == 1
    assert delta("hitflow_lifecycle_rows_deleted_total", job="retention") >= 3
    assert delta("hitflow_lifecycle_runs_total", job="purge_accounts", outcome="ok") == 1
    assert delta("hitflow_lifecycle_rows_deleted_total", job="purge_accounts") == 0
    assert value(after, "hitflow_lifecycle_last_success_timestamp_seconds", job="retention") >= (
        started - 1
    )
    assert await CheckResult.filter(target_id=target.id).count() == 0
