"""Status pages count against the plan: FREE has one, PRO five; concurrent creations at
the limit cannot overshoot it (the workspace row is locked around count and insert)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.billing.models import Subscription, SubscriptionStatus
from api.billing.plans import PLANS, Plan
from api.statuspages.models import StatusPage
from tests.factories.accounts import create_account
from tests.statuspages.helpers import create_page, three_targets

USAGE = """query($ws: ID!) { node(id: $ws) { ... on Workspace { usage { statusPages } } } }"""


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A provider configured: workspaces without a subscription are on FREE.
    return {"stripe_secret_key": "sk_test_x", "stripe_webhook_secret": "whsec_x"}


def _code(body: dict[str, Any]) -> str:
    errors = body["data"]["createStatusPage"]["errors"]
    return errors[0]["code"] if errors else "OK"


async def test_the_second_page_on_free_is_refused_naming_the_limit(gql, settings) -> None:
    owner = await create_account(settings)
    targets = await three_targets(owner)
    assert _code(await create_page(gql, owner, targets, slug="first")) == "OK"

    body = await create_page(gql, owner, targets, slug="second")

    (error,) = body["data"]["createStatusPage"]["errors"]
    assert error["code"] == "PLAN_LIMIT" and error["field"] == "workspaceId"
    assert "statusPages is 1 on the FREE plan" in error["message"]
    assert await StatusPage.filter(workspace_id=owner.workspace.id).count() == 1
    usage = await gql(USAGE, {"ws": owner.workspace_gid}, token=owner.token)
    assert usage["data"]["node"]["usage"]["statusPages"] == 1


async def test_concurrent_creations_at_limit_minus_one_let_exactly_one_in(gql, settings) -> None:
    owner = await create_account(settings)
    await Subscription.create(
        workspace=owner.workspace, plan="PRO", status=SubscriptionStatus.ACTIVE
    )
    allowed = PLANS[Plan.PRO].status_pages
    assert allowed is not None
    targets = await three_targets(owner)
    for n in range(allowed - 1):
        assert _code(await create_page(gql, owner, targets, slug=f"page-{n}")) == "OK"

    results = await asyncio.gather(
        *[create_page(gql, owner, targets, slug=f"race-{n}") for n in range(12)]
    )

    assert sorted(_code(r) for r in results) == ["OK"] + ["PLAN_LIMIT"] * 11
    assert await StatusPage.filter(workspace_id=owner.workspace.id).count() == allowed
