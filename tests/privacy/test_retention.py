"""The daily retention job: monitoring rows older than 365 days go, younger stay; raw
results follow the plan's shorter period while rollups keep the year; a held
account keeps everything; batches are bounded and the job is idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.core import clock
from api.incidents.models import AlertEvent, Incident
from api.maintenance.models import MaintenanceWindow
from api.notifications.models import Notification
from api.targets.models import CheckResult, ResultRollup, StateTransition, TargetStatus
from api.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.incidents import create_incident
from tests.factories.results import create_result
from tests.factories.targets import create_target
from tests.privacy.helpers import monitoring_rows
from workers.jobs.retention import apply_retention

MODELS = {
    "rollup": ResultRollup,
    "transition": StateTransition,
    "incident": Incident,
    "event": AlertEvent,
    "notification": Notification,
    "result": CheckResult,
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"retention_batch_size": 2}  # many small batches: the loop must finish anyway


async def exists(row: Any) -> bool:
    return await type(row).filter(id=row.id).exists()


async def test_year_old_rows_go_and_younger_ones_stay(settings, resources) -> None:
    ada = await create_account(settings)
    await Workspace.filter(id=ada.workspace.id).update(plan="business")  # raw kept a year
    target = await create_target(ada.workspace, status=TargetStatus.UP)
    now = clock.now()
    old = [await monitoring_rows(target, now - timedelta(days=366), tag=f"o{i}") for i in range(3)]
    young = await monitoring_rows(target, now - timedelta(days=364), tag="y")

    result = await apply_retention({"resources": resources})

    for rows in old:
        for name, row in rows.items():
            assert not await exists(row), f"old {name} kept"
    for name, row in young.items():
        assert await exists(row), f"young {name} deleted"
    assert result["CheckResult"] == 3 and result["ResultRollup"] == 3
    # Idempotent: a second run finds nothing more
    again = await apply_retention({"resources": resources})
    assert sum(again.values()) == 0


@pytest.mark.parametrize(("plan", "days"), [("free", 30), ("pro", 90)])
async def test_raw_results_follow_the_plan_while_rollups_keep_the_year(
    settings, resources, plan: str, days: int
) -> None:
    ada = await create_account(settings)
    await Workspace.filter(id=ada.workspace.id).update(plan=plan)
    target = await create_target(ada.workspace, status=TargetStatus.UP)
    now = clock.now()
    expired = await create_result(target, at=now - timedelta(days=days, hours=1))
    kept = await create_result(target, at=now - timedelta(days=days - 1))
    rollup = (await monitoring_rows(target, now - timedelta(days=days + 5)))["rollup"]

    await apply_retention({"resources": resources})

    assert not await exists(expired)
    assert await exists(kept)
    assert await exists(rollup)


async def test_a_held_account_keeps_its_rows(settings, resources) -> None:
    from api.accounts.models import User

    held = await create_account(settings)
    free = await create_account(settings)
    await User.filter(id=held.user.id).update(legal_hold=True)
    now = clock.now()
    held_rows = await monitoring_rows(
        await create_target(held.workspace, status=TargetStatus.UP), now - timedelta(days=400)
    )
    free_rows = await monitoring_rows(
        await create_target(free.workspace, status=TargetStatus.UP), now - timedelta(days=400)
    )

    await apply_retention({"resources": resources})

    for name, row in held_rows.items():
        assert await exists(row), f"held {name} deleted"
    for name, row in free_rows.items():
        assert not await exists(row), f"{name} kept"


async def test_incidents_age_on_their_start_even_when_open(settings, resources) -> None:
    # Nothing monitoring-related outlives the year, not even a never-resolved incident.
    ada = await create_account(settings)
    target = await create_target(ada.workspace, status=TargetStatus.UP)
    old_open = await create_incident(target, started_at=clock.now() - timedelta(days=400))
    young_open = await create_incident(target, started_at=clock.now() - timedelta(days=30))
    await AlertEvent.create(
        incident=old_open, workspace=ada.workspace, target=target, kind="DOWN", dedupe_key="k1",
        at=clock.now() - timedelta(days=2),
    )  # fmt: skip
    await apply_retention({"resources": resources})
    assert not await exists(old_open)
    assert await exists(young_open)


async def test_weekly_windows_go_a_year_after_their_until(settings, resources) -> None:
    ada = await create_account(settings)
    now = clock.now()

    async def window(until: Any) -> MaintenanceWindow:
        return await MaintenanceWindow.create(
            workspace=ada.workspace, starts_at=now - timedelta(days=800),
            ends_at=now - timedelta(days=800) + timedelta(hours=1), weekly=True, until=until,
        )  # fmt: skip

    ended = await window(now - timedelta(days=400))
    recent = await window(now - timedelta(days=30))
    forever = await window(None)
    await apply_retention({"resources": resources})
    assert not await exists(ended)
    assert await exists(recent) and await exists(forever)
