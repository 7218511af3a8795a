"""GraphQL types of billing: plans, a workspace's billing, usage, limits and invoices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.billing import limits as limit_rules
from api.billing import service
from api.billing.checkout import require_billing_reader
from api.billing.models import BillingEvent as BillingEventModel
from api.billing.models import Order, SubscriptionStatus
from api.billing.plans import CURRENCIES, PLANS, Limit, Limits, Plan, provider_price
from api.billing.providers.base import Provider
from api.core.ids import encode
from api.graphql.context import Info
from api.graphql.pagination import Connection, paginate
from api.graphql.payloads import MutationPayload
from api.settings import Settings

strawberry.enum(Plan, name="PlanName", description="A plan a workspace can be on.")
strawberry.enum(
    SubscriptionStatus, name="BillingStatus", description="A workspace's subscription status."
)
strawberry.enum(Provider, name="PaymentProvider", description="A payment provider (redirect).")


@strawberry.type(description="What a plan allows; null means no limit.")
class PlanLimits:
    targets: int | None = strawberry.field(description="Active (not paused) targets.")
    min_interval_seconds: int = strawberry.field(description="Smallest check interval.")
    regions_per_target: int | None = strawberry.field(description="Regions per target.")
    channels: int | None = strawberry.field(description="Alert channels.")
    members: int | None = strawberry.field(description="Members plus pending invitations.")
    status_pages: int | None = strawberry.field(description="Status pages.")
    raw_retention_days: int = strawberry.field(description="Days raw check results are kept.")
    api_requests_per_minute: int | None = strawberry.field(description="API requests a minute.")

    @classmethod
    def of(cls, limits: Limits) -> PlanLimits:
        return cls(**limits.__dict__)


@strawberry.type(description="A currency a plan is sold in, and through which providers.")
class PlanPrice:
    currency: str = strawberry.field(description="ISO 4217 code (EUR, USD).")
    providers: list[Provider] = strawberry.field(
        description="The providers selling it (the amount is shown on the provider's page)."
    )


@strawberry.type(description="A plan, its limits and where it is sold.")
class PlanInfo:
    name: Plan = strawberry.field(description="The plan.")
    limits: PlanLimits = strawberry.field(description="What it allows.")
    prices: list[PlanPrice] = strawberry.field(description="Currencies it is sold in.")


def plan_infos(settings: Settings) -> list[PlanInfo]:
    shown = [Plan.FREE, Plan.PRO, Plan.BUSINESS] if settings.billing_enabled else list(Plan)
    result = []
    for plan in shown:
        prices = []
        for currency in CURRENCIES:
            providers = [
                p
                for p, ids, on in (
                    (Provider.STRIPE, settings.stripe_prices, settings.stripe_enabled),
                    (Provider.PAYPAL, settings.paypal_plans, settings.paypal_enabled),
                )
                if on and provider_price(ids, plan, currency)
            ]
            if providers:
                prices.append(PlanPrice(currency=currency, providers=providers))
        result.append(PlanInfo(name=plan, limits=PlanLimits.of(PLANS[plan]), prices=prices))
    return result


@strawberry.type(description="A workspace's plan and subscription (OWNERs and ADMINs).")
class Billing:
    plan: Plan = strawberry.field(description="The plan in force.")
    status: SubscriptionStatus = strawberry.field(description="The subscription's status.")
    provider: Provider | None = strawberry.field(description="Who bills it, if anyone.")
    current_period_end: datetime | None = strawberry.field(description="End of the paid period.")
    cancel_at_period_end: bool = strawberry.field(description="Ends at currentPeriodEnd.")
    grace_ends_at: datetime | None = strawberry.field(
        description="PAST_DUE: when the workspace falls to FREE unless a payment succeeds."
    )


@strawberry.type(description="What a workspace uses of its plan's counted limits.")
class Usage:
    targets: int = strawberry.field(description="Active (not paused) targets.")
    channels: int = strawberry.field(description="Alert channels.")
    members: int = strawberry.field(description="Members plus pending invitations.")
    status_pages: int = strawberry.field(description="Status pages.")


@strawberry.type(description="An invoice paid (or failed) at the provider: no card data.")
class Invoice:
    id: strawberry.ID = strawberry.field(description="Global id.")
    date: datetime = strawberry.field(description="When it was recorded.")
    amount: Decimal = strawberry.field(description="Amount, in the currency.")
    currency: str = strawberry.field(description="ISO 4217 code.")
    status: str = strawberry.field(description="PAID or FAILED.")
    plan: str | None = strawberry.field(description="The plan it paid for.")
    url: str | None = strawberry.field(description="The provider's hosted invoice / receipt.")


@strawberry.type(description="A change of a workspace's billing (the log OWNERs see).")
class BillingEvent:
    at: datetime = strawberry.field(description="When.")
    kind: str = strawberry.field(description="What happened (PLAN_GRANTED, TARGETS_PAUSED...).")
    plan: str | None = strawberry.field(description="The plan after it.")
    status: str | None = strawberry.field(description="The status after it.")
    detail: str = strawberry.field(description="Details.")


async def billing_of(info: Info, workspace_id: int) -> Billing | None:
    if not require_billing_reader(info.context.principal, workspace_id):
        return None
    settings = info.context.settings
    state = await service.state_of(settings, workspace_id)
    grace = None
    if state.status == SubscriptionStatus.PAST_DUE and state.past_due_since:
        from datetime import timedelta

        grace = state.past_due_since + timedelta(days=settings.billing_grace_days)
    provider = Provider(str(state.provider)) if state.provider in Provider.__members__ else None
    return Billing(
        plan=state.plan,
        status=state.status,
        provider=provider,
        current_period_end=state.current_period_end,
        cancel_at_period_end=state.cancel_at_period_end,
        grace_ends_at=grace,
    )


async def usage_of(workspace_id: int) -> Usage:
    return Usage(
        targets=await limit_rules.usage(workspace_id, Limit.TARGETS),
        channels=await limit_rules.usage(workspace_id, Limit.CHANNELS),
        members=await limit_rules.usage(workspace_id, Limit.MEMBERS),
        status_pages=await limit_rules.usage(workspace_id, Limit.STATUS_PAGES),
    )


async def limits_of(info: Info, workspace_id: int) -> PlanLimits:
    _, limits = await limit_rules.limits_for(info.context.settings, workspace_id)
    return PlanLimits.of(limits)


@strawberry.type(name="InvoiceConnection", description="A page of invoices.")
class InvoiceConnection(Connection[Invoice]):
    pass


def _invoice(row: Order) -> Invoice:
    return Invoice(
        id=strawberry.ID(encode("Invoice", row.id)),
        date=row.created_at,
        amount=row.amount,
        currency=row.currency,
        status=row.status,
        plan=row.plan,
        url=row.receipt_url,
    )


async def invoices_of(
    info: Info, workspace_id: int, first: int | None, after: str | None
) -> InvoiceConnection:
    query = Order.filter(workspace_id=workspace_id)
    if not require_billing_reader(info.context.principal, workspace_id):
        query = query.filter(id=-1)
    page = await paginate(query, first=first, after=after, to_node=_invoice)
    return InvoiceConnection(
        edges=page.edges, page_info=page.page_info, total_count=page.total_count
    )


async def events_of(info: Info, workspace_id: int) -> list[BillingEvent]:
    if info.context.principal.role_in(workspace_id) != "OWNER":
        return []
    rows = await BillingEventModel.filter(workspace_id=workspace_id).limit(100)
    return [
        BillingEvent(at=r.at, kind=r.kind, plan=r.plan, status=r.status, detail=r.detail)
        for r in rows
    ]


@strawberry.type(description="The answer of startCheckout and openBillingPortal.")
class RedirectPayload(MutationPayload):
    redirect_url: str | None = strawberry.field(
        default=None, description="Send the browser here (the provider's site)."
    )


@strawberry.type(description="The answer of cancelSubscription and changePlan.")
class BillingPayload(MutationPayload):
    billing: Billing | None = strawberry.field(
        default=None, description="The billing state (the provider's confirmation follows)."
    )
    redirect_url: str | None = strawberry.field(
        default=None,
        description="changePlan with PayPal: send the browser here (PayPal's site) for the "
        "payer to approve the change; the plan changes only once PayPal confirms. Null when "
        "no approval is needed.",
    )


@strawberry.type(description="The answer of grantPlan.")
class GrantPlanPayload(MutationPayload):
    plan: Plan | None = strawberry.field(default=None, description="The plan now in force.")
