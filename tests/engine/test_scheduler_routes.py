"""The tick routes checks by each target's stored route and passes the specs through.

A batch job carries its checks as one JSON text put together from the specs Redis holds
(no parse, no re-encoding in the scheduler); the route says which regions get the check.
A target scheduled before routes existed (no route stored) is routed by its spec.
"""

from __future__ import annotations

import json

import pytest

from api.resources import probe_queue
from api.targets.schedule import ROUTES_KEY, SPECS_KEY, schedule_target
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from workers.jobs.checks import wire_checks
from workers.jobs.scheduler import Scheduler, batch_job_id

CONFIGURED = ["eu-west", "us-east", "ap-south"]


async def _batches(redis) -> dict[str, tuple[str, list[dict]]]:
    """Per region: the queued job's id and its checks as the probe reads them."""
    out = {}
    for region in CONFIGURED:
        for job in await redis.queued_jobs(queue_name=probe_queue(region)):
            out[region] = (job.job_id, wire_checks(job.kwargs["checks"]))
    return out


@pytest.mark.parametrize("stored_route", [True, False], ids=["route", "no route (older data)"])
async def test_checks_go_to_the_configured_regions_their_spec_names(
    settings, resources, stored_route
):
    assert list(settings.regions) == CONFIGURED
    account = await create_account(settings)
    named = {
        "all": [],
        "one": ["us-east"],
        "two": ["eu-west", "ap-south"],
        "unknown only": ["mars-1"],  # none configured: every configured region
        "some unknown": ["mars-1", "ap-south"],
    }
    targets = {}
    for name, regions in named.items():
        target = await create_target(account.workspace, interval=30, regions=regions)
        await schedule_target(resources.redis, target, spread=False)
        targets[name] = target.id
    if not stored_route:
        await resources.redis.delete(ROUTES_KEY)

    assert await Scheduler(resources).tick() == 3 + 1 + 2 + 3 + 1

    batches = await _batches(resources.redis)
    got = {
        region: sorted(c["spec"]["targetId"] for c in checks)
        for region, (_, checks) in batches.items()
    }
    ids = targets
    assert got == {
        "eu-west": sorted([ids["all"], ids["two"], ids["unknown only"]]),
        "us-east": sorted([ids["all"], ids["one"], ids["unknown only"]]),
        "ap-south": sorted([ids["all"], ids["two"], ids["unknown only"], ids["some unknown"]]),
    }


async def test_the_job_carries_the_stored_spec_and_keeps_the_job_id_rule(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, interval=30, regions=["eu-west"])
    await schedule_target(resources.redis, target, spread=False)
    stored = json.loads(await resources.redis.hget(SPECS_KEY, str(target.id)))

    await Scheduler(resources).tick()

    job_id, checks = (await _batches(resources.redis))["eu-west"]
    assert [c["spec"] for c in checks] == [stored]
    assert isinstance(checks[0]["due"], int)
    # The id is the one batch_job_id gives the same checks (region, first due, content).
    assert job_id == batch_job_id("eu-west", checks)
