"""Billing mutations (OWNERs, scope billing:write): checkout by redirect, portal, cancel,
change plan."""

from __future__ import annotations

import strawberry

from api.billing import checkout, grants
from api.billing.plans import Plan
from api.billing.providers.base import Provider
from api.billing.types import BillingPayload, GrantPlanPayload, RedirectPayload, billing_of
from api.core.ids import decode
from api.graphql.context import Info
from api.graphql.payloads import domain_errors_in
from api.graphql.permissions import IsStaff, requires

WRITE = [requires("billing:write")]


def _ws(value: strawberry.ID) -> int:
    return decode(value, "Workspace", field="workspaceId")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Start a subscription: redirectUrl is the provider's checkout page. The "
        "plan is granted when the provider confirms the payment, not before.",
        permission_classes=WRITE,
    )
    @domain_errors_in(RedirectPayload)
    async def start_checkout(
        self,
        info: Info,
        workspace_id: strawberry.ID,
        plan: Plan,
        provider: Provider,
        currency: str = "EUR",
    ) -> RedirectPayload:
        url = await checkout.start_checkout(
            info.context.resources,
            info.context.principal,
            workspace_id=_ws(workspace_id),
            plan=plan,
            provider=provider,
            currency=currency,
        )
        return RedirectPayload(redirect_url=url)

    @strawberry.mutation(
        description="The Stripe customer portal (payment method, invoices, cancel).",
        permission_classes=WRITE,
    )
    @domain_errors_in(RedirectPayload)
    async def open_billing_portal(self, info: Info, workspace_id: strawberry.ID) -> RedirectPayload:
        url = await checkout.open_portal(
            info.context.resources, info.context.principal, workspace_id=_ws(workspace_id)
        )
        return RedirectPayload(redirect_url=url)

    @strawberry.mutation(
        description="Cancel the subscription at the end of the paid period.",
        permission_classes=WRITE,
    )
    @domain_errors_in(BillingPayload)
    async def cancel_subscription(self, info: Info, workspace_id: strawberry.ID) -> BillingPayload:
        ws = _ws(workspace_id)
        await checkout.cancel_subscription(
            info.context.resources, info.context.principal, workspace_id=ws
        )
        return BillingPayload(billing=await billing_of(info, ws))

    @strawberry.mutation(
        description="Upgrade or downgrade through the provider (it prorates); the new plan "
        "applies when the provider confirms. With PayPal the payer approves the change on "
        "PayPal's site first: send the browser to redirectUrl.",
        permission_classes=WRITE,
    )
    @domain_errors_in(BillingPayload)
    async def change_plan(
        self, info: Info, workspace_id: strawberry.ID, plan: Plan
    ) -> BillingPayload:
        ws = _ws(workspace_id)
        approval = await checkout.change_plan(
            info.context.resources, info.context.principal, workspace_id=ws, plan=plan
        )
        return BillingPayload(billing=await billing_of(info, ws), redirect_url=approval)

    @strawberry.mutation(
        description="Staff: put a workspace on a plan, with a reason (audited; the owners see "
        "it in their access log). No provider is charged.",
        permission_classes=[IsStaff],
    )
    @domain_errors_in(GrantPlanPayload)
    async def grant_plan(
        self, info: Info, workspace_id: strawberry.ID, plan: Plan, reason: str
    ) -> GrantPlanPayload:
        granted = await grants.grant_plan(
            info.context.resources,
            info.context.principal,
            workspace_id=_ws(workspace_id),
            plan=plan,
            reason=reason,
        )
        return GrantPlanPayload(plan=granted)
