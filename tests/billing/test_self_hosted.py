"""A self-hosted instance (no payment provider configured): every workspace is UNLIMITED;
`hitflow plan set WORKSPACE PLAN` assigns a plan, and the core worker then pauses the
targets over its limit (newest first) or resumes them."""

from __future__ import annotations

import pytest

from api.targets.models import Target
from tests.billing.helpers import BILLING, CREATE_TARGET, target_input
from tests.factories.accounts import create_account
from tests.privacy.helpers import database_settings, run_cli
from workers.jobs.billing import settle_billing

PLANS = "{ plans { name limits { targets } prices { currency } } }"


@pytest.fixture
def settings(tmp_path, smtp, database_url):  # type: ignore[no-untyped-def]
    return database_settings(tmp_path, smtp, database_url)


async def test_without_a_provider_every_workspace_is_unlimited(gql, settings) -> None:
    owner = await create_account(settings)

    results = [
        await gql(
            CREATE_TARGET,
            {"input": target_input(owner.workspace_gid, n, intervalSeconds=30)},
            token=owner.token,
        )
        for n in range(12)
    ]
    state = await gql(BILLING, {"ws": owner.workspace_gid}, token=owner.token)
    plans = await gql(PLANS)

    assert all(r["data"]["createTarget"]["errors"] == [] for r in results)
    assert state["data"]["node"]["billing"]["plan"] == "UNLIMITED"
    assert state["data"]["node"]["limits"]["targets"] is None
    assert "UNLIMITED" in [p["name"] for p in plans["data"]["plans"]]
    assert all(p["prices"] == [] for p in plans["data"]["plans"])


@pytest.mark.slow
async def test_plan_set_command_assigns_a_plan_and_the_worker_pauses_the_excess(
    gql, settings, resources
) -> None:
    owner = await create_account(settings)
    for n in range(12):
        await gql(CREATE_TARGET, {"input": target_input(owner.workspace_gid, n)}, token=owner.token)
    ws = str(owner.workspace.id)

    ran = await run_cli(settings, "plan", "set", ws, "free")
    bad_plan = await run_cli(settings, "plan", "set", ws, "GOLD")
    no_ws = await run_cli(settings, "plan", "set", "999999", "PRO")

    assert ran.returncode == 0, ran.stderr
    assert f"workspace {ws}: UNLIMITED -> FREE" in ran.stdout
    assert bad_plan.returncode == 2 and "Unknown plan 'GOLD'" in bad_plan.stderr
    assert no_ws.returncode == 1 and "No workspace 999999" in no_ws.stderr
    assert (await settle_billing({"resources": resources}))["reconciled"] == [owner.workspace.id]
    paused = await Target.filter(workspace_id=owner.workspace.id, paused=True).order_by("id")
    assert [t.name for t in paused] == ["Site 10", "Site 11"]

    # Back to UNLIMITED (by its global id): the paused targets come back.
    again = await run_cli(settings, "plan", "set", owner.workspace_gid, "UNLIMITED")
    assert again.returncode == 0, again.stderr
    await settle_billing({"resources": resources})
    assert await Target.filter(workspace_id=owner.workspace.id, paused=True).count() == 0


def test_an_unlimited_workspace_keeps_raw_results_for_the_whole_retention(settings) -> None:
    assert settings.raw_retention_days("unlimited") == settings.retention_days == 365
    assert settings.raw_retention_days("free") == 30
