"""The monthly SLA report schedule of a workspace (at most one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.targets.models import TargetGroup
    from api.workspaces.models import Workspace


class SlaReportSchedule(Model):
    """Last month's report, e-mailed early each month to members of the workspace.

    `last_sent_month` ("YYYY-MM", the month reported) makes sending idempotent together
    with the arq job id.
    """

    id = fields.IntField(primary_key=True)
    workspace: fields.OneToOneRelation[Workspace] = fields.OneToOneField(
        "models.Workspace", related_name="sla_report_schedule", on_delete=fields.CASCADE
    )
    workspace_id: int
    # Null: every target of the workspace (the first 200 by id).
    group: fields.ForeignKeyNullableRelation[TargetGroup] = fields.ForeignKeyField(
        "models.TargetGroup", related_name="sla_schedules", on_delete=fields.CASCADE, null=True
    )
    group_id: int | None
    recipient_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    timezone = fields.CharField(max_length=64, default="UTC")
    objective = fields.FloatField(default=99.9)
    exclude_maintenance = fields.BooleanField(default=True)
    last_sent_month = fields.CharField(max_length=7, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sla_report_schedules"
