"""GET /metrics: one workspace's targets for its Prometheus, behind a metrics:read token."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.core import clock
from api.core.ids import encode
from api.metrics.own import REGISTRY
from api.results.rollups import floor_hour
from api.targets.models import ResultRollup, Target, TargetRegionState, TargetStatus
from tests.factories.accounts import create_account, create_pat
from tests.factories.results import create_result
from tests.factories.targets import create_target
from tests.polling import wait_for
from tests.probes.servers import HTTPServer
from workers.settings import core_worker, probe_worker


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


async def scrape(client, token: str | None, workspace: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {"workspace": workspace} if workspace is not None else {}
    return await client.get("/metrics", headers=headers, params=params)


async def test_a_scrape_shows_only_that_workspaces_targets(settings, client):
    # Given two workspaces, each with a target that has region state, results and rollups
    mine = await create_account(settings)
    other = await create_account(settings)
    shop = await create_target(mine.workspace, name='Shop "front"\nEU', status=TargetStatus.UP)
    theirs = await create_target(other.workspace, name="Their API", status=TargetStatus.DOWN)
    now = clock.now()
    for target, status in ((shop, "UP"), (theirs, "DOWN")):
        await TargetRegionState.create(target=target, region="eu-west", status=status)
        await create_result(target, at=now - timedelta(minutes=2), response_time_ms=900.0)
        await create_result(
            target, at=now - timedelta(minutes=1), status=status, response_time_ms=120.0,
            dns_ms=5.0, connect_ms=10.0, first_byte_ms=80.0,
            certificate_expires_at=now + timedelta(days=30),
        )  # fmt: skip
    hour = floor_hour(now) - timedelta(hours=1)
    await ResultRollup.create(target=shop, region="eu-west", hour=hour, checks=100, failures=1)
    await ResultRollup.create(
        target=shop, region="eu-west", hour=hour - timedelta(days=3), checks=100, failures=99
    )
    token = await create_pat(mine.user, ["metrics:read"])

    # When my Prometheus scrapes my workspace
    response = await scrape(client, token, mine.workspace_gid)

    # Then it sees my target, escaped, and nothing of the other workspace
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "Their API" not in response.text
    assert encode("Target", theirs.id) not in response.text
    assert 'target="Shop \\"front\\"\\nEU"' in response.text  # escaped by the library
    got = samples(response.text)
    labels = {"target_id": encode("Target", shop.id), "region": "eu-west"}

    def value(name: str, **extra: str) -> float:
        found = [
            v
            for n, lab, v in got
            if n == name and all(lab.get(k) == x for k, x in {**labels, **extra}.items())
        ]
        assert len(found) == 1, (name, extra, found)
        return found[0]

    assert value("hitflow_target_up") == 1.0
    assert value("hitflow_check_duration_seconds", phase="total") == pytest.approx(0.12)
    assert value("hitflow_check_duration_seconds", phase="first_byte") == pytest.approx(0.08)
    assert value("hitflow_target_cert_expiry_timestamp_seconds") == pytest.approx(
        (now + timedelta(days=30)).timestamp(), abs=1
    )
    assert value("hitflow_target_uptime_ratio", window="24h") == pytest.approx(0.99)
    assert value("hitflow_target_uptime_ratio", window="7d") == pytest.approx(0.5)
    states = {lab["state"]: v for n, lab, v in got if n == "hitflow_target_status"}
    assert states["UP"] == 1.0 and states["DOWN"] == 0.0 and sum(states.values()) == 1.0

    # And the other workspace's id answers like an unknown one
    for workspace in (other.workspace_gid, encode("Workspace", 999999), "nonsense"):
        refused = await scrape(client, token, workspace)
        assert refused.status_code == 404
        assert "Their API" not in refused.text


async def test_a_scrape_without_the_workspace_parameter_names_it(settings, client):
    owner = await create_account(settings)
    token = await create_pat(owner.user, ["metrics:read"])
    response = await scrape(client, token, None)
    assert response.status_code == 400
    assert "workspace query parameter is required" in response.text


async def test_a_token_without_metrics_read_is_refused(settings, client):
    owner = await create_account(settings)
    await create_target(owner.workspace, name="Shop")
    narrow = await create_pat(owner.user, ["targets:read", "results:read"])

    assert (await scrape(client, narrow, owner.workspace_gid)).status_code == 403
    anonymous = await scrape(client, None, owner.workspace_gid)
    assert anonymous.status_code == 401 and "Shop" not in anonymous.text
    assert (
        await scrape(client, "hf_pat_revoked-or-made-up", owner.workspace_gid)
    ).status_code == 401


async def test_a_pat_created_with_metrics_read_can_scrape(settings, gql, client):
    owner = await create_account(settings)
    await create_target(owner.workspace, name="Shop")
    result = await gql(
        'mutation { createPersonalAccessToken(name: "prom", scopes: ["metrics:read"]) '
        "{ token errors { code } } }",
        token=owner.token,
    )
    payload = result["data"]["createPersonalAccessToken"]
    assert payload["errors"] == [], result
    response = await scrape(client, payload["token"], owner.workspace_gid)
    assert response.status_code == 200 and 'target="Shop"' in response.text


@pytest.mark.slow
async def test_a_stopped_site_shows_up_0_after_ingest(settings, resources, client):
    server = await HTTPServer().start()
    account = await create_account(settings)
    target = await create_target(
        account.workspace, url=f"http://127.0.0.1:{server.port}/", interval=1, timeout=1.0,
        schedule=resources.redis, regions=[],
    )  # fmt: skip
    token = await create_pat(account.user, ["metrics:read"])
    workers = [core_worker(resources, poll_delay=0.05)] + [
        probe_worker(resources, region, poll_delay=0.05) for region in settings.regions
    ]
    tasks = [asyncio.create_task(w.async_run()) for w in workers]

    async def up_values() -> set[float]:
        text = (await scrape(client, token, account.workspace_gid)).text
        return {v for n, _, v in samples(text) if n == "hitflow_target_up"}

    try:
        await wait_for(lambda: _status_is(target.id, "UP"), timeout=10)
        assert 1.0 in await up_values()
        await server.stop()  # the site goes down
        await wait_for(lambda: _status_is(target.id, "DOWN"), timeout=10)
        await wait_for(lambda: _all_zero(up_values), timeout=10)
        # The probes counted their checks in Hitflow's own metrics, per region and status.
        own = generate_latest(REGISTRY).decode()
        for region in settings.regions:
            assert f'hitflow_checks_total{{region="{region}",status="DOWN"}}' in own
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A job cut short by the cancel may find its Redis connection gone: not the
        # behaviour under test, so closing never hides the test's own outcome.
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        await server.stop()


async def _status_is(target_id: int, status: str) -> bool:
    return (await Target.get(id=target_id)).status.value == status


async def _all_zero(up_values) -> bool:
    return await up_values() == {0.0}


async def test_a_region_whose_probe_cannot_judge_gives_no_up_sample(settings, client):
    """Its newest result was INCONCLUSIVE (probe overloaded): an old "up" would be a stale
    claim, so the sample is left out; a DOWN it saw stands."""
    account = await create_account(settings)
    target = await create_target(account.workspace, status=TargetStatus.DOWN)
    await TargetRegionState.create(target=target, region="eu-west", status="UP", inconclusive=True)
    await TargetRegionState.create(
        target=target, region="us-east", status="DOWN", inconclusive=True
    )
    await TargetRegionState.create(target=target, region="ap-south", status="UP")
    token = await create_pat(account.user, ["metrics:read"])

    response = await scrape(client, token, account.workspace_gid)

    assert response.status_code == 200, response.text
    up = {lab["region"]: v for n, lab, v in samples(response.text) if n == "hitflow_target_up"}
    assert up == {"us-east": 0.0, "ap-south": 1.0}
