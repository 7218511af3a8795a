"""PayPal: checkout by the approval link, plan granted by the verified webhook; forged,
stale and unverifiable webhooks refused; payment denied -> PAST_DUE; cancel keeps the
period paid, then FREE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.billing.models import Order, Subscription, WebhookEvent
from api.core import clock
from tests.billing.helpers import BILLING, CANCEL, CHECKOUT
from tests.factories.accounts import create_account
from workers.jobs.billing import settle_billing


async def _checkout(gql, owner) -> dict:
    result = await gql(
        CHECKOUT,
        {"ws": owner.workspace_gid, "plan": "PRO", "provider": "PAYPAL", "cur": "EUR"},
        token=owner.token,
    )
    return result["data"]["startCheckout"]


async def _billing(gql, owner) -> dict:
    return (await gql(BILLING, {"ws": owner.workspace_gid}, token=owner.token))["data"]["node"]


async def test_approval_link_then_verified_webhook_makes_the_workspace_pro(
    gql, settings, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner = await create_account(settings)

    payload = await _checkout(gql, owner)

    assert payload["errors"] == []
    assert payload["redirectUrl"].startswith("https://www.sandbox.paypal.com/")
    (_, _, body) = paypal.requests[0]
    assert body["plan_id"] == "P-PRO-EUR"
    assert body["custom_id"] == str(owner.workspace.id)
    assert (await _billing(gql, owner))["billing"]["plan"] == "FREE"  # not before PayPal says

    sid = next(iter(paypal.subscriptions))
    await paypal.approve(sid)

    state = await _billing(gql, owner)
    assert (state["billing"]["plan"], state["billing"]["status"]) == ("PRO", "ACTIVE")
    assert state["billing"]["provider"] == "PAYPAL"
    assert state["invoices"]["edges"][0]["node"]["amount"] == "29.00"
    # One OAuth token served the checkout and every verification (cached).
    assert paypal.token_requests == 1


async def test_forged_stale_and_unverifiable_paypal_webhooks_change_nothing(
    gql, settings, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner = await create_account(settings)
    await _checkout(gql, owner)
    sub = next(iter(paypal.subscriptions.values()))
    sub["status"] = "ACTIVE"
    body = paypal.event("BILLING.SUBSCRIPTION.ACTIVATED", paypal._resource(sub))

    forged = await paypal.post(body, paypal.headers(body, webhook_id="WH-OTHER"))
    tampered = await paypal.post(body.replace(b'"P-PRO-EUR"', b'"P-BIZ-EUR"'), paypal.headers(body))
    stale = await paypal.post(body, paypal.headers(body, at=datetime.now(UTC) - timedelta(hours=1)))
    unsigned = await paypal.post(body, {"Content-Type": "application/json"})
    paypal.verify_down = True
    unverifiable = await paypal.post(body)

    assert [r.status_code for r in (forged, tampered, stale, unsigned)] == [400] * 4
    assert unverifiable.status_code == 503  # PayPal redelivers later
    assert not await Subscription.filter(workspace_id=owner.workspace.id, status="ACTIVE").exists()
    assert await WebhookEvent.all().count() == 0

    paypal.verify_down = False
    again = await paypal.post(body)
    duplicate = await paypal.post(body)
    assert again.json()["outcome"] == "applied"
    assert duplicate.json()["outcome"] == "duplicate"


async def test_denied_payment_then_cancel_keeps_the_paid_period_then_free(
    gql, settings, resources, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner = await create_account(settings)
    await _checkout(gql, owner)
    sid = next(iter(paypal.subscriptions))
    await paypal.approve(sid)

    await paypal.deny_payment(sid)
    state = await _billing(gql, owner)
    assert (state["billing"]["plan"], state["billing"]["status"]) == ("PRO", "PAST_DUE")
    assert await Order.filter(workspace_id=owner.workspace.id, status="FAILED").count() == 1

    result = await gql(CANCEL, {"ws": owner.workspace_gid}, token=owner.token)
    assert result["data"]["cancelSubscription"]["errors"] == []
    assert paypal.subscriptions[sid]["status"] == "CANCELLED"
    state = await _billing(gql, owner)
    assert (state["billing"]["plan"], state["billing"]["status"]) == ("PRO", "CANCELED")
    assert state["billing"]["cancelAtPeriodEnd"] is True

    clock.advance(timedelta(days=31))
    assert (await settle_billing({"resources": resources}))["downgraded"] == [owner.workspace.id]
    assert (await Subscription.get(workspace_id=owner.workspace.id)).plan == "FREE"
