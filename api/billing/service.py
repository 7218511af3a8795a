"""The subscription state machine: what a workspace pays for, and what follows from it.

The plan in force follows the provider's confirmed state, never the browser:
ACTIVE -> the paid plan; PAST_DUE -> the paid plan for HITFLOW_BILLING_GRACE_DAYS, then
FREE; CANCELED -> FREE. Each change is a BillingEvent row. When the plan shrinks, the
targets over its limit are paused (most recently created first; never deleted) and the
owners are told which; when it grows again, those targets are resumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from api.billing import eventlog, limits
from api.billing.models import (
    Order,
    Subscription,
    SubscriptionStatus,
    WebhookEvent,
)
from api.billing.pausing import owner_addresses, reconcile_targets
from api.billing.plans import Plan
from api.billing.providers.base import EventKind, Provider, ProviderEvent
from api.core import clock
from api.core.errors import NotFound
from api.core.logging import get_logger
from api.mail.service import send_mail
from api.resources import Resources
from api.settings import Settings
from api.workspaces.models import Membership, Role, Workspace

log = get_logger(__name__)


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BillingState:
    plan: Plan
    status: SubscriptionStatus
    provider: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    past_due_since: datetime | None


async def state_of(settings: Settings, workspace_id: int) -> BillingState:
    sub = await Subscription.get_or_none(workspace_id=workspace_id)
    if sub is None:
        return BillingState(
            limits.default_plan(settings), SubscriptionStatus.NONE, None, None, False, None
        )
    return BillingState(
        Plan(sub.plan),
        SubscriptionStatus(sub.status),
        sub.provider,
        sub.current_period_end,
        sub.cancel_at_period_end,
        sub.past_due_since,
    )


def plan_in_force(settings: Settings, sub: Subscription) -> Plan:
    """The plan a subscription's state grants now (the grace period counted from the clock)."""
    paid = Plan(sub.paid_plan) if sub.paid_plan else None
    if sub.provider in ("MANUAL", "STAFF"):
        return paid or limits.default_plan(settings)
    if paid is None or sub.status == SubscriptionStatus.NONE:
        return Plan.FREE
    if sub.status == SubscriptionStatus.CANCELED:
        # Canceled before its end (PayPal stops at once): the period paid stays in force.
        end = sub.current_period_end
        return paid if end is not None and clock.now() < end else Plan.FREE
    if sub.status == SubscriptionStatus.PAST_DUE:
        since = sub.past_due_since or clock.now()
        if clock.now() >= since + timedelta(days=settings.billing_grace_days):
            return Plan.FREE
    return paid


async def _locked(settings: Settings, workspace_id: int) -> Subscription:
    """The workspace's subscription row, created if missing, locked for this transaction."""
    await Workspace.filter(id=workspace_id).select_for_update().first()
    sub = await Subscription.filter(workspace_id=workspace_id).select_for_update().first()
    if sub is None:
        sub = await Subscription.create(
            workspace_id=workspace_id,
            plan=limits.default_plan(settings).value,
            status=SubscriptionStatus.NONE,
        )
    return sub


async def _settle_plan(settings: Settings, sub: Subscription) -> tuple[Plan, Plan]:
    """Store the plan in force (also on Workspace.plan, which retention reads)."""
    before = Plan(sub.plan)
    after = plan_in_force(settings, sub)
    sub.plan = after.value
    await sub.save()
    if after != before:
        await Workspace.filter(id=sub.workspace_id).update(plan=after.value.lower())
    return before, after


# --- operator and staff ------------------------------------------------------------------


async def set_plan(
    settings: Settings, workspace_id: int, plan: Plan, *, by: str = "MANUAL", detail: str = ""
) -> tuple[Plan, Plan]:
    """An operator's (`hitflow plan set`) or staff's grant, no provider involved. Targets are
    paused / resumed by `reconcile_targets` (the caller, or the core worker's next run)."""
    async with in_transaction():
        if not await Workspace.filter(id=workspace_id).exists():
            raise NotFound(f"No workspace {workspace_id}.", field="workspaceId")
        sub = await _locked(settings, workspace_id)
        sub.provider, sub.paid_plan, sub.status = by, plan.value, SubscriptionStatus.ACTIVE
        sub.past_due_since, sub.cancel_at_period_end = None, False
        sub.reconcile_pending = True
        before, after = await _settle_plan(settings, sub)
        await eventlog.record(
            workspace_id, "PLAN_GRANTED", detail or f"{by}: {before} -> {after}", sub=sub
        )
    log.info("plan_set", workspace_id=workspace_id, plan=plan.value, by=by)
    return before, after


async def reconcile_pending(resources: Resources) -> list[int]:
    """Core worker: pause / resume the targets of workspaces whose plan was set offline."""
    rows = await Subscription.filter(reconcile_pending=True).values("workspace_id")
    done = []
    for row in rows:
        workspace_id = int(row["workspace_id"])
        await reconcile_targets(resources, workspace_id)
        done.append(workspace_id)
    return done


# --- provider events -------------------------------------------------------------------


async def handle_event(resources: Resources, event: ProviderEvent) -> str:
    """Apply one verified provider event; returns what happened (for the log and tests).

    The event id is stored in the same transaction as its effect: a redelivery is a no-op,
    and a failure half-way leaves neither (the provider retries).
    """
    try:
        async with in_transaction():
            await WebhookEvent.create(
                provider=event.provider.value,
                event_id=event.event_id,
                event_type=event.event_type[:80],
                received_at=clock.now(),
            )
            outcome = await _apply(resources, event)
    except IntegrityError:
        outcome = "duplicate"
    log.info(
        "billing_event",
        provider=event.provider.value,
        event_id=event.event_id,
        event_type=event.event_type,
        outcome=outcome,
    )
    if outcome.startswith("applied:"):
        workspace_id = int(outcome.split(":", 1)[1])
        await _notify(resources, event, workspace_id)
        try:
            await reconcile_targets(resources, workspace_id)
        except Exception as exc:  # the event is applied: the worker's next pass finishes it
            log.error("billing_reconcile_failed", workspace_id=workspace_id, error=repr(exc))
    return outcome


async def _find(event: ProviderEvent) -> int | None:
    if event.subscription_id:
        sub = await Subscription.get_or_none(
            provider=event.provider.value, subscription_id=event.subscription_id
        )
        if sub is not None:
            return sub.workspace_id
    if event.workspace_id and await Workspace.exists(id=event.workspace_id):
        return event.workspace_id
    return None


async def _apply(resources: Resources, event: ProviderEvent) -> str:
    if event.kind == EventKind.IGNORED:
        return "ignored"
    workspace_id = await _find(event)
    if workspace_id is None:
        return "unknown_workspace"
    sub = await _locked(resources.settings, workspace_id)
    if event.invoice is not None:
        await _record_invoice(workspace_id, event, sub)
    other = (
        sub.subscription_id is not None
        and event.subscription_id is not None
        and sub.subscription_id != event.subscription_id
    )
    if other and (sub.status == SubscriptionStatus.ACTIVE or sub.provider in ("MANUAL", "STAFF")):
        # An event about a subscription this workspace no longer uses (e.g. the old one's
        # deletion after a new checkout) changes nothing.
        return "other_subscription"
    if sub.provider_updated_at is not None and event.created < sub.provider_updated_at:
        return "out_of_order"
    before_status = sub.status
    sub.provider = event.provider.value
    sub.provider_updated_at = event.created
    if event.subscription_id:
        sub.subscription_id = event.subscription_id
    if event.customer_id:
        sub.customer_id = event.customer_id
    if event.kind == EventKind.SUBSCRIPTION:
        assert event.status is not None
        sub.status = event.status
        if event.paid_plan is not None and event.paid_plan in (Plan.PRO, Plan.BUSINESS):
            sub.paid_plan = event.paid_plan.value
        if event.currency:
            sub.currency = event.currency
        if event.current_period_end:
            sub.current_period_end = event.current_period_end
        if event.cancel_at_period_end is not None:
            sub.cancel_at_period_end = event.cancel_at_period_end
    elif event.kind == EventKind.INVOICE_PAID:
        if sub.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.NONE):
            sub.status = SubscriptionStatus.ACTIVE
    elif event.kind == EventKind.PAYMENT_FAILED:
        if sub.status != SubscriptionStatus.CANCELED:
            sub.status = SubscriptionStatus.PAST_DUE
    if sub.status == SubscriptionStatus.PAST_DUE:
        sub.past_due_since = sub.past_due_since or clock.now()
    else:
        sub.past_due_since = None
    # Until reconcile_targets runs (after the commit, or the worker's next pass if it fails).
    sub.reconcile_pending = True
    before, after = await _settle_plan(resources.settings, sub)
    detail = f"{event.provider.value} {event.event_type}: {before_status.value} -> {sub.status}"
    if before != after:
        detail += f"; plan {before} -> {after}"
    kind = event.event_type.upper().replace(".", "_")[:40]
    await eventlog.record(workspace_id, kind, detail, sub=sub)
    return f"applied:{workspace_id}"


async def _record_invoice(workspace_id: int, event: ProviderEvent, sub: Subscription) -> None:
    invoice = event.invoice
    assert invoice is not None
    order = await Order.get_or_none(
        provider=event.provider.value, provider_order_id=invoice.invoice_id
    )
    if order is None:
        owner = await Membership.filter(workspace_id=workspace_id, role=Role.OWNER).first()
        await Order.create(
            workspace_id=workspace_id,
            user_id=owner.user_id if owner else None,
            provider=event.provider.value,
            provider_order_id=invoice.invoice_id,
            status=invoice.status,
            amount=invoice.amount,
            currency=invoice.currency,
            plan=sub.paid_plan,
            receipt_url=invoice.receipt_url,
        )
    elif order.status != "PAID":
        await Order.filter(id=order.id).update(status=invoice.status)


async def _notify(resources: Resources, event: ProviderEvent, workspace_id: int) -> None:
    if event.kind != EventKind.PAYMENT_FAILED:
        return
    workspace = await Workspace.get(id=workspace_id)
    days = resources.settings.billing_grace_days
    for address in await owner_addresses(workspace_id):
        await send_mail(
            resources,
            to=address,
            subject=f"Hitflow: payment failed for {workspace.name}",
            body=(
                f"The payment for the Hitflow workspace {workspace.name!r} failed.\n\n"
                f"Your plan stays in force for {days} days while the provider retries; "
                "update your payment method at the provider to keep it. After that the "
                "workspace falls to the FREE plan and the targets over its limits are "
                "paused (never deleted).\n"
            ),
        )


# --- grace period and targets ----------------------------------------------------------


async def downgrade_expired(resources: Resources) -> list[int]:
    """Cron: PAST_DUE workspaces past the grace period, and canceled ones past their paid
    period, fall to FREE. Returns their ids."""
    now = clock.now()
    cutoff = now - timedelta(days=resources.settings.billing_grace_days)
    ids = (
        await Subscription.filter(
            Q(status=SubscriptionStatus.PAST_DUE, past_due_since__lte=cutoff)
            | Q(status=SubscriptionStatus.CANCELED, current_period_end__lte=now)
        )
        .filter(provider__in=[p.value for p in Provider])
        .exclude(plan=Plan.FREE.value)
        .values("workspace_id")
    )
    done = []
    for row in ids:
        workspace_id = int(row["workspace_id"])
        async with in_transaction():
            sub = await _locked(resources.settings, workspace_id)
            before, after = await _settle_plan(resources.settings, sub)
            if before != after:
                kind = (
                    "GRACE_EXPIRED" if sub.status == SubscriptionStatus.PAST_DUE else "PERIOD_ENDED"
                )
                await eventlog.record(sub.workspace_id, kind, f"plan {before} -> {after}", sub=sub)
        if before != after:
            done.append(workspace_id)
            await reconcile_targets(resources, workspace_id)
    return done
