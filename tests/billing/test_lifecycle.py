"""The subscription's life: payment failed -> PAST_DUE and owners mailed -> grace period ->
FREE with the excess targets paused (newest first, never deleted, owners told) -> paid
again -> resumed; cancel at the period's end -> FREE when the period ends."""

from __future__ import annotations

from datetime import timedelta

from api.billing.models import BillingPause
from api.core import clock
from api.targets.models import Target, TargetStatus
from tests.billing.helpers import BILLING, CANCEL, CHECKOUT, CREATE_TARGET, session_id, target_input
from tests.factories.accounts import create_account
from workers.jobs.billing import settle_billing


async def _pro_with_targets(gql, owner, fake_stripe, count: int) -> dict:
    result = await gql(
        CHECKOUT,
        {"ws": owner.workspace_gid, "plan": "PRO", "provider": "STRIPE", "cur": "EUR"},
        token=owner.token,
    )
    url = result["data"]["startCheckout"]["redirectUrl"]
    sub = await fake_stripe.complete_checkout(session_id(url))
    for n in range(count):
        created = await gql(
            CREATE_TARGET, {"input": target_input(owner.workspace_gid, n)}, token=owner.token
        )
        assert created["data"]["createTarget"]["errors"] == [], created
    return sub


async def _billing(gql, owner) -> dict:
    return (await gql(BILLING, {"ws": owner.workspace_gid}, token=owner.token))["data"]["node"]


async def test_failed_payment_grace_downgrade_pauses_newest_then_payment_resumes(
    gql, settings, resources, fake_stripe, mailbox, run_core_jobs
) -> None:
    owner = await create_account(settings)
    sub = await _pro_with_targets(gql, owner, fake_stripe, 13)
    ctx = {"resources": resources}

    await fake_stripe.fail_payment(sub["id"])

    # PAST_DUE: the plan holds during the grace period; the owner is told.
    state = await _billing(gql, owner)
    assert (state["billing"]["plan"], state["billing"]["status"]) == ("PRO", "PAST_DUE")
    assert state["billing"]["graceEndsAt"] is not None
    await run_core_jobs()
    assert any("payment failed" in m["Subject"] for m in mailbox.to(owner.user.email))
    clock.advance(timedelta(days=settings.billing_grace_days) - timedelta(hours=1))
    assert (await settle_billing(ctx))["downgraded"] == []
    assert await Target.filter(workspace_id=owner.workspace.id, paused=True).count() == 0

    # Grace over: FREE; the 3 newest targets are paused, none deleted; the owner told which.
    clock.advance(timedelta(hours=2))
    assert (await settle_billing(ctx))["downgraded"] == [owner.workspace.id]
    assert (await settle_billing(ctx))["downgraded"] == []  # idempotent
    targets = await Target.filter(workspace_id=owner.workspace.id).order_by("id")
    assert len(targets) == 13
    assert [t.name for t in targets if t.paused] == ["Site 10", "Site 11", "Site 12"]
    assert all(t.status == TargetStatus.PAUSED for t in targets if t.paused)
    state = await _billing(gql, owner)
    assert state["billing"]["plan"] == "FREE"
    assert state["usage"]["targets"] == 10
    assert {"GRACE_EXPIRED", "TARGETS_PAUSED"} <= {e["kind"] for e in state["billingEvents"]}
    await run_core_jobs()
    paused_mail = [m for m in mailbox.to(owner.user.email) if "paused" in m["Subject"]]
    assert len(paused_mail) == 1 and "Site 12" in paused_mail[0].get_content()

    # A new payment: PRO again, the paused targets resumed.
    await fake_stripe.pay(sub["id"])

    state = await _billing(gql, owner)
    assert (state["billing"]["plan"], state["billing"]["status"]) == ("PRO", "ACTIVE")
    assert await Target.filter(workspace_id=owner.workspace.id, paused=True).count() == 0
    assert await BillingPause.filter(workspace_id=owner.workspace.id).count() == 0


async def test_cancel_at_period_end_keeps_the_plan_until_the_period_ends(
    gql, settings, fake_stripe
) -> None:
    owner = await create_account(settings)
    sub = await _pro_with_targets(gql, owner, fake_stripe, 11)

    result = await gql(CANCEL, {"ws": owner.workspace_gid}, token=owner.token)

    assert result["data"]["cancelSubscription"]["errors"] == []
    assert fake_stripe.requests[-1][2] == {"cancel_at_period_end": "true"}
    state = await _billing(gql, owner)
    assert state["billing"]["plan"] == "PRO"
    assert state["billing"]["cancelAtPeriodEnd"] is True

    await fake_stripe.end_period(sub["id"])

    state = await _billing(gql, owner)
    assert (state["billing"]["plan"], state["billing"]["status"]) == ("FREE", "CANCELED")
    paused = await Target.filter(workspace_id=owner.workspace.id, paused=True)
    assert [t.name for t in paused] == ["Site 10"]
