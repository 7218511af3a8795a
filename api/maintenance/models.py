"""Maintenance windows: one-off or weekly periods during which alerts are held back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.targets.models import Target
    from api.workspaces.models import Workspace


class MaintenanceWindow(Model):
    """A window on one target, or on every target of a workspace when target is null.

    One-off: [starts_at, ends_at). Weekly: the same time of day and length, on the given
    weekdays (0 is Monday; default the weekday of starts_at), from starts_at until `until`.
    """

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="maintenance_windows", on_delete=fields.CASCADE
    )
    workspace_id: int
    target: fields.ForeignKeyNullableRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="maintenance_windows", on_delete=fields.CASCADE, null=True
    )
    target_id: int | None
    name = fields.CharField(max_length=100, default="")
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    weekly = fields.BooleanField(default=False)
    weekdays: fields.JSONField[list[int]] = fields.JSONField(default=list)
    until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "maintenance_windows"
