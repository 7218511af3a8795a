"""Who may read and change billing: OWNERs change it (scope billing:write), ADMINs read
it, members see neither, strangers get NOT_FOUND, tokens without the scope FORBIDDEN."""

from __future__ import annotations

from api.billing.models import Subscription
from api.workspaces.models import Role
from tests.billing.helpers import BILLING, CANCEL, CHECKOUT, PORTAL, session_id
from tests.factories.accounts import add_member, create_account, create_pat


def _vars(account, plan: str = "PRO") -> dict:
    return {"ws": account.workspace_gid, "plan": plan, "provider": "STRIPE", "cur": "EUR"}


async def test_owner_checks_out_admin_reads_member_sees_nothing(gql, settings, fake_stripe) -> None:
    owner = await create_account(settings)
    admin = await create_account(settings)
    member = await create_account(settings)
    await add_member(owner.workspace, admin.user, Role.ADMIN)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    url = (await gql(CHECKOUT, _vars(owner), token=owner.token))["data"]["startCheckout"]
    await fake_stripe.complete_checkout(session_id(url["redirectUrl"]))

    admin_checkout = await gql(CHECKOUT, _vars(owner, "BUSINESS"), token=admin.token)
    admin_cancel = await gql(CANCEL, {"ws": owner.workspace_gid}, token=admin.token)
    admin_view = await gql(BILLING, {"ws": owner.workspace_gid}, token=admin.token)
    member_view = await gql(BILLING, {"ws": owner.workspace_gid}, token=member.token)

    assert admin_checkout["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert admin_cancel["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert admin_view["data"]["node"]["billing"]["plan"] == "PRO"
    assert admin_view["data"]["node"]["invoices"]["totalCount"] == 1
    assert admin_view["data"]["node"]["billingEvents"] == []  # the log is the OWNERs'
    assert member_view["data"]["node"]["billing"] is None
    assert member_view["data"]["node"]["invoices"]["totalCount"] == 0
    sub = await Subscription.get(workspace_id=owner.workspace.id)
    assert not sub.cancel_at_period_end


async def test_strangers_tokens_without_the_scope_and_anonymous_are_refused(
    gql, settings, fake_stripe
) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    narrow = await create_pat(owner.user, ["account:read", "targets:write"])
    billing_pat = await create_pat(owner.user, ["billing:write"])

    foreign = await gql(CHECKOUT, _vars(owner), token=stranger.token)
    foreign_portal = await gql(PORTAL, {"ws": owner.workspace_gid}, token=stranger.token)
    unscoped = await gql(CHECKOUT, _vars(owner), token=narrow)
    anonymous = await gql(CHECKOUT, _vars(owner))
    scoped = await gql(CHECKOUT, _vars(owner), token=billing_pat)
    foreign_read = await gql(BILLING, {"ws": owner.workspace_gid}, token=stranger.token)

    assert foreign["data"]["startCheckout"]["errors"][0]["code"] == "NOT_FOUND"
    assert foreign_portal["data"]["openBillingPortal"]["errors"][0]["code"] == "NOT_FOUND"
    assert unscoped["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert scoped["data"]["startCheckout"]["errors"] == []
    assert foreign_read["data"]["node"] is None
    assert len(fake_stripe.sessions) == 1  # only the scoped owner's request reached Stripe


async def test_the_portal_opens_on_stripe_for_a_customer(gql, settings, fake_stripe) -> None:
    owner = await create_account(settings)
    before = await gql(PORTAL, {"ws": owner.workspace_gid}, token=owner.token)
    url = (await gql(CHECKOUT, _vars(owner), token=owner.token))["data"]["startCheckout"]
    sub = await fake_stripe.complete_checkout(session_id(url["redirectUrl"]))

    after = await gql(PORTAL, {"ws": owner.workspace_gid}, token=owner.token)

    assert before["data"]["openBillingPortal"]["errors"][0]["code"] == "INVALID"
    assert after["data"]["openBillingPortal"]["redirectUrl"] == (
        f"https://billing.stripe.com/p/session/{sub['customer']}"
    )
