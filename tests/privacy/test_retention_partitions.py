"""PostgreSQL: retention drops whole expired partitions of check_results, and the rows
the keep rule keeps (legal hold, a longer plan) survive the drop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tortoise import connections

from api.accounts.models import User
from api.core import clock
from api.results import partitions
from api.targets.models import CheckResult, TargetStatus
from api.workspaces.models import Workspace
from tests.conftest import TEST_DATABASE_URL
from tests.factories.accounts import create_account
from tests.factories.results import create_result
from tests.factories.targets import create_target
from workers.jobs.partitions import ensure_result_partitions
from workers.jobs.retention import apply_retention

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="partitions: PostgreSQL only")


async def exists(row: Any) -> bool:
    return await CheckResult.filter(id=row.id).exists()


async def rows_in(table: str) -> int:
    return await partitions.partition_rows(table)


async def _day_partition(resources: Any) -> str:
    """Past the legacy partition made when the test database was converted, the
    partitions of "today" and ahead, as the hourly cron makes them."""
    clock.advance(timedelta(days=100))
    created = await ensure_result_partitions({"resources": resources})
    name = partitions.partition_name(partitions.span_start(clock.now(), 1))
    assert name in created
    return name


async def names() -> set[str]:
    return {p.name for p in await partitions.list_partitions()}


async def test_an_expired_partition_disappears(settings, resources) -> None:
    ada = await create_account(settings)  # free plan: raw results kept 30 days
    target = await create_target(ada.workspace, status=TargetStatus.UP)
    name = await _day_partition(resources)
    rows = [await create_result(target) for _ in range(3)]
    assert await rows_in(name) == 3
    clock.advance(timedelta(days=31))

    result = await apply_retention({"resources": resources})

    assert name not in await names()
    assert result["CheckResult"] == 3
    assert not [r for r in rows if await exists(r)]
    assert sum((await apply_retention({"resources": resources})).values()) == 0


async def test_held_and_longer_plan_rows_survive_a_partition_drop(settings, resources) -> None:
    free = await create_account(settings)
    held = await create_account(settings)
    pro = await create_account(settings)
    await User.filter(id=held.user.id).update(legal_hold=True)
    await Workspace.filter(id=pro.workspace.id).update(plan="pro")  # 90 days
    name = await _day_partition(resources)
    free_target = await create_target(free.workspace, status=TargetStatus.UP)
    gone = [await create_result(free_target) for _ in range(4)]
    held_row = await create_result(await create_target(held.workspace, status=TargetStatus.UP))
    pro_row = await create_result(await create_target(pro.workspace, status=TargetStatus.UP))
    clock.advance(timedelta(days=31))

    result = await apply_retention({"resources": resources})

    assert result["CheckResult"] == 4
    assert not [r for r in gone if await exists(r)]
    assert await exists(held_row) and await exists(pro_row)
    # Still in a partition of their own time (rebuilt), not moved to the default one.
    assert name in await names() and await rows_in(name) == 2
    assert await rows_in(partitions.DEFAULT) == 0
    kept = await CheckResult.get(id=pro_row.id)
    assert kept.checked_at == pro_row.checked_at and kept.check_id == pro_row.check_id

    # 60 days on the pro row expires too; the held one never does.
    clock.advance(timedelta(days=60))
    await apply_retention({"resources": resources})
    assert await exists(held_row) and not await exists(pro_row)


async def test_a_mostly_kept_partition_falls_back_to_row_deletion(settings, resources) -> None:
    free = await create_account(settings)
    business = await create_account(settings)
    await Workspace.filter(id=business.workspace.id).update(plan="business")  # a year
    name = await _day_partition(resources)
    expired = await create_result(await create_target(free.workspace, status=TargetStatus.UP))
    target = await create_target(business.workspace, status=TargetStatus.UP)
    kept = [await create_result(target) for _ in range(3)]
    clock.advance(timedelta(days=31))

    result = await apply_retention({"resources": resources})

    assert result["CheckResult"] == 1 and not await exists(expired)
    assert all([await exists(r) for r in kept]) and await rows_in(name) == 3


async def test_new_partitions_take_over_the_rows_the_default_one_held(settings, resources) -> None:
    ada = await create_account(settings)
    target = await create_target(ada.workspace, status=TargetStatus.UP)
    await _day_partition(resources)
    later = clock.now() + timedelta(days=10)  # beyond the partitions made ahead
    row = await create_result(target, at=later)
    assert await rows_in(partitions.DEFAULT) == 1

    clock.advance(timedelta(days=10))
    await ensure_result_partitions({"resources": resources})
    again = await ensure_result_partitions({"resources": resources})

    assert again == []  # idempotent
    assert await rows_in(partitions.DEFAULT) == 0
    assert await rows_in(partitions.partition_name(partitions.span_start(later, 1))) == 1
    assert await exists(row)
    conn = connections.get("default")
    assert await partitions.is_partitioned(conn)
