"""Orders paid through a payment provider: only ids, amounts and status are stored.

French law requires invoices be kept: when an account is purged its orders stay,
with the user link set to NULL and the e-mail replaced by a pseudonym.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.accounts.models import User
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

    class Meta:
        table = "orders"
        unique_together = (("provider", "provider_order_id"),)
