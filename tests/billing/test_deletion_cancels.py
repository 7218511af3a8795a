"""Confirming an account deletion cancels the provider subscription first (a retried job):
the provider stops charging, and the invoices stay (pseudonymised later by the purge)."""

from __future__ import annotations

import pytest
from arq import Retry

from api.billing.models import Order, Subscription
from tests.billing.helpers import CHECKOUT, session_id
from tests.factories.accounts import create_account
from tests.privacy.helpers import confirm_deletion
from workers.jobs.billing import cancel_subscription_for_deletion


async def _subscribed(gql, settings, fake_stripe):
    owner = await create_account(settings)
    result = await gql(
        CHECKOUT,
        {"ws": owner.workspace_gid, "plan": "PRO", "provider": "STRIPE", "cur": "EUR"},
        token=owner.token,
    )
    url = result["data"]["startCheckout"]["redirectUrl"]
    return owner, await fake_stripe.complete_checkout(session_id(url))


async def test_confirmed_deletion_cancels_the_stripe_subscription(
    gql, settings, fake_stripe, mailbox, run_core_jobs
) -> None:
    owner, sub = await _subscribed(gql, settings, fake_stripe)

    await confirm_deletion(gql, mailbox, run_core_jobs, owner)
    await run_core_jobs()

    assert ("DELETE", f"/v1/subscriptions/{sub['id']}") in [r[:2] for r in fake_stripe.requests]
    assert fake_stripe.subscriptions[sub["id"]]["status"] == "canceled"
    row = await Subscription.get(workspace_id=owner.workspace.id)
    assert row.status == "CANCELED"
    assert await Order.filter(workspace_id=owner.workspace.id).count() == 1  # invoice kept


async def test_the_cancellation_retries_while_stripe_is_unreachable(
    gql, settings, resources, fake_stripe
) -> None:
    owner, sub = await _subscribed(gql, settings, fake_stripe)
    await fake_stripe.stop()
    ctx = {"resources": resources, "job_try": 1}

    with pytest.raises(Retry):
        await cancel_subscription_for_deletion(ctx, workspace_id=owner.workspace.id)

    await fake_stripe.start()
    assert await cancel_subscription_for_deletion(ctx, workspace_id=owner.workspace.id) is True
    assert fake_stripe.subscriptions[sub["id"]]["status"] == "canceled"
