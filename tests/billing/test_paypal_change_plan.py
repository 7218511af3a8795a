"""PayPal changePlan: a revision PayPal's payer approves on PayPal's page; the plan changes
only when PayPal's signed BILLING.SUBSCRIPTION.UPDATED says so."""

from __future__ import annotations

from api.billing.models import BillingEvent, Subscription
from api.workspaces.models import Role
from tests.billing.helpers import BILLING, CHECKOUT
from tests.factories.accounts import add_member, create_account, create_pat

CHANGE = """mutation($ws: ID!, $plan: PlanName!) { changePlan(workspaceId: $ws, plan: $plan) {
  redirectUrl billing { plan } errors { field code message } } }"""


async def _pro_through_paypal(gql, settings, paypal):
    owner = await create_account(settings)
    result = await gql(
        CHECKOUT,
        {"ws": owner.workspace_gid, "plan": "PRO", "provider": "PAYPAL", "cur": "EUR"},
        token=owner.token,
    )
    assert result["data"]["startCheckout"]["errors"] == []
    sid = next(iter(paypal.subscriptions))
    await paypal.approve(sid)
    return owner, sid


async def _state(gql, owner) -> dict:
    return (await gql(BILLING, {"ws": owner.workspace_gid}, token=owner.token))["data"]["node"]


async def test_upgrade_waits_for_the_payers_approval_then_paypals_signed_event(
    gql, settings, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner, sid = await _pro_through_paypal(gql, settings, paypal)

    result = await gql(CHANGE, {"ws": owner.workspace_gid, "plan": "BUSINESS"}, token=owner.token)

    # Then: PayPal's approval page, the revise call as PayPal documents it, no change yet.
    payload = result["data"]["changePlan"]
    assert payload["errors"] == []
    assert payload["redirectUrl"].startswith(
        "https://www.sandbox.paypal.com/webapps/billing/subscriptions/update?ba_token=BA-REV"
    )
    method, path, body = paypal.requests[-1]
    assert (method, path) == ("POST", f"/v1/billing/subscriptions/{sid}/revise")
    assert body["plan_id"] == "P-BIZ-EUR"
    assert body["application_context"]["return_url"].startswith(settings.effective_app_url)
    assert payload["billing"]["plan"] == "PRO"
    state = await _state(gql, owner)
    assert state["billing"]["plan"] == "PRO"
    assert state["limits"]["targets"] == 50
    assert "CHANGE_REQUESTED" in [e["kind"] for e in state["billingEvents"]]

    # When the payer approves on PayPal's page, PayPal sends the signed update.
    await paypal.approve_revision(sid)

    state = await _state(gql, owner)
    assert (state["billing"]["plan"], state["billing"]["status"]) == ("BUSINESS", "ACTIVE")
    assert state["limits"]["targets"] == 500
    sub = await Subscription.get(workspace_id=owner.workspace.id)
    assert (sub.subscription_id, sub.paid_plan) == (sid, "BUSINESS")  # same subscription


async def test_an_unapproved_revision_or_a_forged_update_changes_nothing(
    gql, settings, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner, sid = await _pro_through_paypal(gql, settings, paypal)
    await gql(CHANGE, {"ws": owner.workspace_gid, "plan": "BUSINESS"}, token=owner.token)

    # Someone posts the update PayPal would send, without PayPal's signature.
    sub = dict(paypal.subscriptions[sid], plan_id="P-BIZ-EUR")
    body = paypal.event("BILLING.SUBSCRIPTION.UPDATED", paypal._resource(sub))
    forged = await paypal.post(body, paypal.headers(body, webhook_id="WH-OTHER"))

    assert forged.status_code == 400
    assert (await _state(gql, owner))["billing"]["plan"] == "PRO"


async def test_paypal_refusing_the_revision_is_a_user_error_and_nothing_changes(
    gql, settings, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner, sid = await _pro_through_paypal(gql, settings, paypal)
    paypal.subscriptions[sid]["status"] = "CANCELLED"  # cancelled at PayPal, event not in yet
    events = await BillingEvent.filter(workspace_id=owner.workspace.id).count()

    result = await gql(CHANGE, {"ws": owner.workspace_gid, "plan": "BUSINESS"}, token=owner.token)

    (error,) = result["data"]["changePlan"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "plan")
    assert "SUBSCRIPTION_STATUS_INVALID" in error["message"]
    assert result["data"]["changePlan"]["redirectUrl"] is None
    assert (await _state(gql, owner))["billing"]["plan"] == "PRO"
    assert await BillingEvent.filter(workspace_id=owner.workspace.id).count() == events


async def test_changing_to_the_current_plan_is_refused_before_paypal_is_called(
    gql, settings, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner, _ = await _pro_through_paypal(gql, settings, paypal)
    calls = len(paypal.requests)

    result = await gql(CHANGE, {"ws": owner.workspace_gid, "plan": "PRO"}, token=owner.token)

    assert result["data"]["changePlan"]["errors"][0]["code"] == "INVALID"
    assert len(paypal.requests) == calls


async def test_the_approval_link_is_for_owners_with_billing_write_only(
    gql, settings, fake_paypal_server
) -> None:
    paypal = fake_paypal_server
    owner, _ = await _pro_through_paypal(gql, settings, paypal)
    admin = await create_account(settings)
    await add_member(owner.workspace, admin.user, Role.ADMIN)
    stranger = await create_account(settings)
    narrow = await create_pat(owner.user, ["account:read", "targets:write"])
    scoped = await create_pat(owner.user, ["billing:write"])
    variables = {"ws": owner.workspace_gid, "plan": "BUSINESS"}
    calls = len(paypal.requests)

    by_admin = await gql(CHANGE, variables, token=admin.token)
    by_stranger = await gql(CHANGE, variables, token=stranger.token)
    unscoped = await gql(CHANGE, variables, token=narrow)
    anonymous = await gql(CHANGE, variables)

    assert by_admin["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_stranger["data"]["changePlan"]["errors"][0]["code"] == "NOT_FOUND"
    assert by_stranger["data"]["changePlan"]["redirectUrl"] is None
    assert unscoped["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert len(paypal.requests) == calls  # none of them reached PayPal
    allowed = await gql(CHANGE, variables, token=scoped)
    assert allowed["data"]["changePlan"]["redirectUrl"].startswith("https://www.sandbox.paypal")
