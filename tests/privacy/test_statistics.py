"""Anonymous statistics: aggregates only, no ids, buckets under k workspaces suppressed;
readable by staff only."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from api.core import clock
from api.privacy.models import UsageStatistic
from api.targets.models import CheckStatus, TargetKind, TargetStatus
from api.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.results import create_result
from tests.factories.targets import create_target
from workers.jobs.statistics import compute_usage_statistics

STATS = "{ usageStatistics { day metric bucket value } }"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"statistics_min_workspaces": 3}


async def test_small_buckets_are_suppressed_and_no_ids_are_stored(gql, settings, resources) -> None:
    now = clock.now()
    # 4 workspaces with an HTTP target checked from eu-west; 1 with a TCP target in ap-south
    for i in range(4):
        ws = await Workspace.create(name=f"shop {i}")
        target = await create_target(ws, name=f"Site {i}", status=TargetStatus.UP)
        for minutes in (5, 10, 15, 20):
            down = i == 0 and minutes == 5
            await create_result(
                target,
                at=now - timedelta(minutes=minutes),
                response_time_ms=100.0 + i,
                status=CheckStatus.DOWN if down else CheckStatus.UP,
            )
    lone = await Workspace.create(name="lonely")
    tcp = await create_target(lone, name="db", kind=TargetKind.TCP, config={}, regions=[])
    await create_result(
        tcp, at=now - timedelta(minutes=1), region="ap-south", response_time_ms=900.0
    )

    result = await compute_usage_statistics({"resources": resources})

    rows = {(r.metric, r.bucket): r.value for r in await UsageStatistic.all()}
    assert rows[("targets_by_kind", "HTTP")] == 4
    assert ("targets_by_kind", "TCP") not in rows  # one workspace < k
    assert rows[("checks_by_region", "eu-west")] == 16
    assert rows[("median_ms_by_region", "eu-west")] == 101.5
    assert ("checks_by_region", "ap-south") not in rows
    assert rows[("uptime_distribution", "100")] == 4  # 3 HTTP + the TCP one: 4 workspaces
    assert ("uptime_distribution", "<95") not in rows  # a single workspace: suppressed
    assert result["suppressed"] >= 3
    # Nothing identifying is stored: no names, no ids of workspaces or targets
    dump = json.dumps(await UsageStatistic.all().values(), default=str)
    assert "Site" not in dump and "shop" not in dump and "lonely" not in dump
    assert set((await UsageStatistic.all().values())[0]) == {
        "id",
        "day",
        "metric",
        "bucket",
        "value",
    }

    staff = await create_account(settings, staff=True)
    stats = (await gql(STATS, token=staff.token))["data"]["usageStatistics"]
    assert {"metric": "targets_by_kind", "bucket": "HTTP", "value": 4.0} in [
        {k: s[k] for k in ("metric", "bucket", "value")} for s in stats
    ]
    anonymous = await gql(STATS)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    customer = await create_account(settings)
    assert (await gql(STATS, token=customer.token))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"
