"""What an OWNER does with billing: checkout by redirect, the portal, cancel, change plan.

Nothing here grants a plan: the provider's signed confirmation does (service.handle_event).
"""

from __future__ import annotations

from types import ModuleType

from api.auth.principal import Principal
from api.billing import eventlog
from api.billing.models import Subscription, SubscriptionStatus
from api.billing.plans import CURRENCIES, PURCHASABLE, Plan, provider_price
from api.billing.providers import paypal, stripe
from api.billing.providers.base import Provider, ProviderError
from api.core.errors import Forbidden, Invalid, NotFound
from api.core.logging import get_logger
from api.resources import Resources
from api.settings import Settings

log = get_logger(__name__)

# Provider -> its module (the contract in api/billing/providers/__init__.py).
PROVIDERS: dict[Provider, ModuleType] = {Provider.STRIPE: stripe, Provider.PAYPAL: paypal}
PROVIDER_NAMES = frozenset(p.value for p in Provider)


def require_owner(principal: Principal, workspace_id: int) -> None:
    """Billing changes are the OWNERs' (ADMINs may read); strangers see NOT_FOUND."""
    principal.check_two_factor(workspace_id)
    if not principal.can_read(workspace_id):
        raise NotFound("No workspace with this id.", field="workspaceId")
    if principal.role_in(workspace_id) != "OWNER":
        raise Forbidden("Only the workspace's owners change its billing.", role="OWNER")


def require_billing_reader(principal: Principal, workspace_id: int) -> bool:
    """OWNERs and ADMINs read billing."""
    return principal.can_admin(workspace_id)


def enabled(settings: Settings, provider: Provider) -> bool:
    return settings.stripe_enabled if provider == Provider.STRIPE else settings.paypal_enabled


def _price_ids(settings: Settings, provider: Provider) -> dict[str, dict[str, str]]:
    return settings.stripe_prices if provider == Provider.STRIPE else settings.paypal_plans


def _module(settings: Settings, provider: Provider) -> ModuleType:
    module = PROVIDERS.get(provider)
    if module is None or not enabled(settings, provider):
        raise Invalid(f"{provider.value} is not configured on this instance.", field="provider")
    return module


def _price(settings: Settings, provider: Provider, plan: Plan, currency: str) -> str:
    if plan not in PURCHASABLE:
        raise Invalid(f"The {plan.value} plan cannot be bought.", field="plan")
    if currency.upper() not in CURRENCIES:
        raise Invalid(f"Currency must be one of {', '.join(CURRENCIES)}.", field="currency")
    price = provider_price(_price_ids(settings, provider), plan, currency)
    if price is None:
        raise Invalid(
            f"{plan.value} is not sold in {currency.upper()} through {provider.value}.",
            field="currency",
        )
    return price


async def _live(workspace_id: int) -> Subscription | None:
    """The workspace's subscription at a provider that still bills it, if any."""
    sub = await Subscription.get_or_none(workspace_id=workspace_id)
    if sub is None or sub.provider not in PROVIDER_NAMES or not sub.subscription_id:
        return None
    if sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
        return sub
    return None


async def start_checkout(
    resources: Resources,
    principal: Principal,
    *,
    workspace_id: int,
    plan: Plan,
    provider: Provider,
    currency: str,
) -> str:
    """The provider's checkout URL for a subscription to `plan`."""
    require_owner(principal, workspace_id)
    settings = resources.settings
    module = _module(settings, provider)
    price = _price(settings, provider, plan, currency)
    if await _live(workspace_id) is not None:
        raise Invalid(
            "This workspace already has a subscription: change its plan instead.", field="plan"
        )
    existing = await Subscription.get_or_none(workspace_id=workspace_id)
    customer = existing.customer_id if existing and existing.provider == provider.value else None
    app = settings.effective_app_url
    try:
        checkout = await module.start_checkout(
            resources,
            workspace_id=workspace_id,
            plan=plan,
            currency=currency.upper(),
            price_id=price,
            customer_id=customer,
            success_url=f"{app}/billing/return?workspace={workspace_id}&status=success",
            cancel_url=f"{app}/billing/return?workspace={workspace_id}&status=cancel",
        )
    except ProviderError as exc:
        raise Invalid(str(exc), field="provider") from None
    await eventlog.record(
        workspace_id, "CHECKOUT_STARTED", f"{provider.value} {plan.value} {currency.upper()}"
    )
    log.info("checkout_started", workspace_id=workspace_id, provider=provider.value)
    return str(checkout.redirect_url)


async def open_portal(resources: Resources, principal: Principal, *, workspace_id: int) -> str:
    require_owner(principal, workspace_id)
    sub = await Subscription.get_or_none(workspace_id=workspace_id)
    if sub is None or sub.provider != Provider.STRIPE.value or not sub.customer_id:
        raise Invalid("This workspace has no Stripe customer account.", field="workspaceId")
    module = _module(resources.settings, Provider.STRIPE)
    try:
        return str(
            await module.portal_url(
                resources,
                customer_id=sub.customer_id,
                return_url=f"{resources.settings.effective_app_url}/billing",
            )
        )
    except ProviderError as exc:
        raise Invalid(str(exc), field="workspaceId") from None


async def cancel_subscription(
    resources: Resources, principal: Principal, *, workspace_id: int
) -> None:
    """Cancel at the end of the paid period; the provider's event records it."""
    require_owner(principal, workspace_id)
    sub = await _live(workspace_id)
    if sub is None or sub.subscription_id is None:
        raise Invalid("This workspace has no active subscription.", field="workspaceId")
    module = _module(resources.settings, Provider(str(sub.provider)))
    try:
        await module.cancel_at_period_end(resources, subscription_id=sub.subscription_id)
    except ProviderError as exc:
        raise Invalid(str(exc), field="workspaceId") from None
    await eventlog.record(workspace_id, "CANCEL_REQUESTED", "at the end of the period")


async def change_plan(
    resources: Resources, principal: Principal, *, workspace_id: int, plan: Plan
) -> str | None:
    """Upgrade or downgrade through the provider (it prorates); its signed event grants the
    plan. Returns the URL where the payer approves the change (PayPal), or None (Stripe)."""
    require_owner(principal, workspace_id)
    sub = await _live(workspace_id)
    if sub is None or sub.subscription_id is None:
        raise Invalid("This workspace has no subscription: start a checkout.", field="plan")
    provider = Provider(str(sub.provider))
    module = _module(resources.settings, provider)
    if sub.paid_plan == plan.value:
        raise Invalid(f"The workspace is already on {plan.value}.", field="plan")
    price = _price(resources.settings, provider, plan, sub.currency or "EUR")
    app = resources.settings.effective_app_url
    try:
        approval = await module.change_plan(
            resources,
            subscription_id=sub.subscription_id,
            price_id=price,
            return_url=f"{app}/billing/return?workspace={workspace_id}&status=changed",
            cancel_url=f"{app}/billing/return?workspace={workspace_id}&status=cancel",
        )
    except ProviderError as exc:
        raise Invalid(str(exc), field="plan") from None
    waiting = f"; awaiting the payer's approval at {provider.value}" if approval else ""
    await eventlog.record(workspace_id, "CHANGE_REQUESTED", f"to {plan.value}{waiting}")
    log.info(
        "plan_change_requested",
        workspace_id=workspace_id,
        provider=provider.value,
        needs_approval=approval is not None,
    )
    return str(approval) if approval else None


async def cancel_for_deletion(resources: Resources, workspace_id: int) -> bool:
    """Account deletion: cancel the provider subscription at once. ProviderError propagates
    (the job retries). True when there was something to cancel."""
    sub = await _live(workspace_id)
    if sub is None or sub.subscription_id is None:
        return False
    module = PROVIDERS[Provider(str(sub.provider))]
    await module.cancel_now(resources, subscription_id=sub.subscription_id)
    await eventlog.record(workspace_id, "CANCELED_FOR_DELETION", "account deletion")
    return True
