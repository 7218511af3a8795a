"""Orders paid through a payment provider: only ids, amounts and status are stored.

French law requires invoices be kept: when an account is purged its orders stay,
with the user link set to NULL and the e-mail replaced by a pseudonym.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.accounts.models import User
    from api.targets.models import Target
    from api.workspaces.models import Workspace


class Order(Model):
    """An order paid through PayPal or Stripe, kept pseudonymised after account deletion."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="orders", on_delete=fields.SET_NULL, null=True
    )
    user_id: int | None
    workspace: fields.ForeignKeyNullableRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="orders", on_delete=fields.SET_NULL, null=True
    )
    workspace_id: int | None
    billing_email = fields.CharField(max_length=254, null=True)
    pseudonym = fields.CharField(max_length=64, null=True)
    provider = fields.CharField(max_length=32)
    provider_order_id = fields.CharField(max_length=128)
    status = fields.CharField(max_length=32, default="PENDING")
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    currency = fields.CharField(max_length=3, default="EUR")
    plan = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    pseudonymised_at = fields.DatetimeField(null=True)
    receipt_url = fields.CharField(max_length=500, null=True)  # provider-hosted invoice page

    class Meta:
        table = "orders"
        unique_together = (("provider", "provider_order_id"),)


class SubscriptionStatus(StrEnum):
    NONE = "NONE"
    ACTIVE = "ACTIVE"
    PAST_DUE = "PAST_DUE"
    CANCELED = "CANCELED"


class Subscription(Model):
    """A workspace's plan and its subscription at a provider (one row per workspace).

    No row: the default plan (FREE, or UNLIMITED when no provider is configured).
    Only provider ids, status and dates: never card data.
    """

    id = fields.IntField(primary_key=True)
    workspace: fields.OneToOneRelation[Workspace] = fields.OneToOneField(
        "models.Workspace", related_name="subscription", on_delete=fields.CASCADE
    )
    workspace_id: int
    plan = fields.CharField(max_length=16)  # the plan in force (api.billing.plans.Plan)
    paid_plan = fields.CharField(max_length=16, null=True)  # what the provider sells us
    status = fields.CharEnumField(
        SubscriptionStatus, max_length=16, default=SubscriptionStatus.NONE
    )
    provider = fields.CharField(max_length=16, null=True)  # STRIPE, PAYPAL, MANUAL, STAFF
    customer_id = fields.CharField(max_length=128, null=True)
    subscription_id = fields.CharField(max_length=128, null=True, db_index=True)
    currency = fields.CharField(max_length=3, null=True)
    current_period_end = fields.DatetimeField(null=True)
    cancel_at_period_end = fields.BooleanField(default=False)
    past_due_since = fields.DatetimeField(null=True)
    # The newest provider event applied: an older one arriving late changes nothing.
    provider_updated_at = fields.DatetimeField(null=True)
    # The plan changed and targets may not fit yet (`hitflow plan set` has no Redis at hand;
    # a webhook's follow-up may fail): the core worker's settle_billing pass finishes it.
    reconcile_pending = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_subscriptions"


class BillingEvent(Model):
    """One change of a workspace's billing, shown to its OWNERs."""

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="billing_events", on_delete=fields.CASCADE
    )
    workspace_id: int
    at = fields.DatetimeField()
    kind = fields.CharField(max_length=40)
    plan = fields.CharField(max_length=16, null=True)
    status = fields.CharField(max_length=16, null=True)
    detail = fields.CharField(max_length=500, default="")

    class Meta:
        table = "billing_events"
        ordering = ["-at", "-id"]


class WebhookEvent(Model):
    """A provider event already processed: a redelivery is answered without effect."""

    id = fields.IntField(primary_key=True)
    provider = fields.CharField(max_length=16)
    event_id = fields.CharField(max_length=128)
    event_type = fields.CharField(max_length=80)
    received_at = fields.DatetimeField()

    class Meta:
        table = "billing_webhook_events"
        unique_together = (("provider", "event_id"),)


class BillingPause(Model):
    """A target paused because its workspace fell to a smaller plan: resumed on upgrade."""

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="billing_pauses", on_delete=fields.CASCADE
    )
    workspace_id: int
    target: fields.OneToOneRelation[Target] = fields.OneToOneField(
        "models.Target", related_name="billing_pause", on_delete=fields.CASCADE
    )
    target_id: int
    paused_at = fields.DatetimeField()

    class Meta:
        table = "billing_pauses"
