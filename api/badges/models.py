"""The badge token of a target: only its SHA-256 hash is stored (the token is shown once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.targets.models import Target


class BadgeToken(Model):
    id = fields.IntField(primary_key=True)
    target: fields.OneToOneRelation[Target] = fields.OneToOneField(
        "models.Target", related_name="badge_token", on_delete=fields.CASCADE
    )
    target_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "badge_tokens"
