"""Checkout by redirect to Stripe: the plan is granted by the signed webhook, never by the
browser coming back; the limits rise with it and the invoice is listed."""

from __future__ import annotations

from api.billing.models import Order, Subscription, WebhookEvent
from api.workspaces.models import Workspace
from tests.billing.fake_stripe import SECRET_KEY
from tests.billing.helpers import BILLING, CHECKOUT, CREATE_TARGET, session_id, target_input
from tests.factories.accounts import create_account


async def _checkout(gql, account, plan: str = "PRO", currency: str = "EUR") -> dict:
    result = await gql(
        CHECKOUT,
        {"ws": account.workspace_gid, "plan": plan, "provider": "STRIPE", "cur": currency},
        token=account.token,
    )
    return result["data"]["startCheckout"]


async def test_checkout_then_signed_webhook_makes_the_workspace_pro(
    gql, client, settings, fake_stripe
) -> None:
    owner = await create_account(settings)

    payload = await _checkout(gql, owner)

    # The redirect is Stripe's page; the session carries the workspace and the price.
    assert payload["errors"] == []
    assert payload["redirectUrl"].startswith("https://checkout.stripe.com/")
    (_method, _path, form, auth) = fake_stripe.requests[0]
    assert auth == f"Bearer {SECRET_KEY}"
    assert form["mode"] == "subscription"
    assert form["line_items[0][price]"] == "price_pro_eur"
    assert form["client_reference_id"] == str(owner.workspace.id)
    assert form["success_url"].startswith("http://app.test/billing/return")

    # Coming back to the success URL grants nothing: still FREE.
    before = (await gql(BILLING, {"ws": owner.workspace_gid}, token=owner.token))["data"]["node"]
    assert before["billing"]["plan"] == "FREE"
    assert before["limits"]["targets"] == 10

    await fake_stripe.complete_checkout(session_id(payload["redirectUrl"]))

    after = (await gql(BILLING, {"ws": owner.workspace_gid}, token=owner.token))["data"]["node"]
    assert after["billing"]["plan"] == "PRO"
    assert after["billing"]["status"] == "ACTIVE"
    assert after["billing"]["provider"] == "STRIPE"
    assert after["billing"]["currentPeriodEnd"] is not None
    assert after["limits"] == {"targets": 50, "minIntervalSeconds": 60, "regionsPerTarget": 6}
    invoices = after["invoices"]
    assert invoices["totalCount"] == 1
    assert invoices["edges"][0]["node"]["amount"] == "29.00"
    assert invoices["edges"][0]["node"]["currency"] == "EUR"
    assert invoices["edges"][0]["node"]["url"].startswith("https://invoice.stripe.com/")
    assert "CHECKOUT_SESSION_COMPLETED" in [e["kind"] for e in after["billingEvents"]]
    assert (await Workspace.get(id=owner.workspace.id)).plan == "pro"

    # PRO allows 60-second checks, FREE did not.
    result = await gql(
        CREATE_TARGET,
        {"input": target_input(owner.workspace_gid, intervalSeconds=60)},
        token=owner.token,
    )
    assert result["data"]["createTarget"]["errors"] == []


async def test_unknown_currency_or_unsold_plan_is_refused_without_calling_stripe(
    gql, settings, fake_stripe
) -> None:
    owner = await create_account(settings)

    usd_business = await _checkout(gql, owner, "BUSINESS", "USD")  # not in HITFLOW_STRIPE_PRICES
    free = await _checkout(gql, owner, "FREE")
    paypal = await gql(
        CHECKOUT,
        {"ws": owner.workspace_gid, "plan": "PRO", "provider": "PAYPAL", "cur": "USD"},
        token=owner.token,
    )

    assert usd_business["errors"][0]["field"] == "currency"
    assert free["errors"][0]["code"] == "INVALID"
    assert paypal["data"]["startCheckout"]["errors"][0]["field"] == "currency"
    assert fake_stripe.requests == []


async def test_forged_unsigned_and_stale_webhooks_are_refused_and_change_nothing(
    gql, settings, fake_stripe
) -> None:
    owner = await create_account(settings)
    await _checkout(gql, owner)
    session = next(iter(fake_stripe.sessions.values()))
    session.update(customer="cus_x", subscription="sub_x", payment_status="paid")
    payload = fake_stripe.event("checkout.session.completed", session)
    from tests.billing.fake_stripe import sign

    forged = await fake_stripe.post(payload, sign(payload, secret="whsec_attacker"))
    unsigned = await fake_stripe.post(payload, "")
    stale = await fake_stripe.post(payload, sign(payload, at=1_700_000_000))
    tampered = await fake_stripe.post(payload.replace(b'"PRO"', b'"BUSINESS"'), sign(payload))

    assert [r.status_code for r in (forged, unsigned, stale, tampered)] == [400] * 4
    assert not await Subscription.exists(workspace_id=owner.workspace.id)
    assert await WebhookEvent.all().count() == 0


async def test_a_redelivered_event_is_processed_once(gql, settings, fake_stripe) -> None:
    owner = await create_account(settings)
    url = (await _checkout(gql, owner))["redirectUrl"]
    sub = await fake_stripe.complete_checkout(session_id(url))
    invoice = fake_stripe._invoice(sub, paid=True)
    payload = fake_stripe.event("invoice.paid", invoice)

    first = await fake_stripe.post(payload)
    again = await fake_stripe.post(payload)

    assert first.json()["outcome"] == "applied"
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert await Order.filter(workspace_id=owner.workspace.id).count() == 2  # checkout + this


async def test_an_older_event_arriving_late_cannot_roll_the_subscription_back(
    gql, settings, fake_stripe
) -> None:
    owner = await create_account(settings)
    url = (await _checkout(gql, owner))["redirectUrl"]
    sub = await fake_stripe.complete_checkout(session_id(url))
    stale = dict(sub, status="canceled")
    created_earlier = (
        int(
            (
                await Subscription.get(workspace_id=owner.workspace.id)
            ).provider_updated_at.timestamp()
        )
        - 60
    )

    response = await fake_stripe.post(
        fake_stripe.event("customer.subscription.deleted", stale, created=created_earlier)
    )

    assert response.status_code == 200 and response.json()["outcome"] == "out_of_order"
    row = await Subscription.get(workspace_id=owner.workspace.id)
    assert (row.plan, row.status) == ("PRO", "ACTIVE")


async def test_change_plan_goes_through_stripe_and_applies_on_its_event(
    gql, settings, fake_stripe
) -> None:
    from tests.billing.helpers import CHANGE

    owner = await create_account(settings)
    url = (await _checkout(gql, owner))["redirectUrl"]
    sub = await fake_stripe.complete_checkout(session_id(url))

    same = await gql(CHANGE, {"ws": owner.workspace_gid, "plan": "PRO"}, token=owner.token)
    result = await gql(CHANGE, {"ws": owner.workspace_gid, "plan": "BUSINESS"}, token=owner.token)

    assert same["data"]["changePlan"]["errors"][0]["code"] == "INVALID"
    assert result["data"]["changePlan"]["errors"] == []
    update = [
        r for r in fake_stripe.requests if r[:2] == ("POST", f"/v1/subscriptions/{sub['id']}")
    ]
    assert update[-1][2]["items[0][price]"] == "price_biz_eur"
    assert update[-1][2]["proration_behavior"] == "create_prorations"
    assert result["data"]["changePlan"]["billing"]["plan"] == "BUSINESS"
    row = await Subscription.get(workspace_id=owner.workspace.id)
    assert row.plan == "BUSINESS"
