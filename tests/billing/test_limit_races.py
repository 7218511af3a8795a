"""Concurrent creations racing the last place under a plan limit cannot overshoot it."""

from __future__ import annotations

import asyncio

from api.billing.plans import PLANS, Plan
from api.targets.models import Target
from tests.billing.helpers import CREATE_TARGET, target_input
from tests.factories.accounts import create_account

FREE = PLANS[Plan.FREE]


async def test_twenty_concurrent_creations_at_limit_minus_one_let_exactly_one_in(
    gql, settings
) -> None:
    owner = await create_account(settings)
    ws = owner.workspace_gid
    assert FREE.targets is not None
    for n in range(FREE.targets - 1):
        result = await gql(CREATE_TARGET, {"input": target_input(ws, n)}, token=owner.token)
        assert result["data"]["createTarget"]["errors"] == []

    results = await asyncio.gather(
        *[
            gql(CREATE_TARGET, {"input": target_input(ws, 100 + n)}, token=owner.token)
            for n in range(20)
        ]
    )

    codes = sorted(
        (r["data"]["createTarget"]["errors"] or [{"code": "OK"}])[0]["code"] for r in results
    )
    assert codes == ["OK"] + ["PLAN_LIMIT"] * 19
    assert await Target.filter(workspace_id=owner.workspace.id).count() == FREE.targets
