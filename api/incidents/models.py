"""Incidents (a target down, until it is up again) and alert events (what gets notified)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from api.core.orm import nullable_text

if TYPE_CHECKING:
    from api.targets.models import Target
    from api.workspaces.models import Workspace


class EventKind(StrEnum):
    DOWN = "DOWN"
    UP = "UP"
    DEGRADED = "DEGRADED"
    REMINDER = "REMINDER"
    SUMMARY = "SUMMARY"
    TEST = "TEST"


class IncidentCause(StrEnum):
    DIRECT = "DIRECT"  # the target itself failed: alerted
    UPSTREAM = "UPSTREAM"  # a dependency was down: attached to its incident, not alerted


class Incident(Model):
    """A period during which a target was DOWN."""

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="incidents", on_delete=fields.CASCADE
    )
    workspace_id: int
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="incidents", on_delete=fields.CASCADE
    )
    target_id: int
    started_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    cause = fields.TextField(default="")
    regions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # When the opening was notified (null while a maintenance window held it back).
    notified_at = fields.DatetimeField(null=True)
    last_notified_at = fields.DatetimeField(null=True)
    reminders_sent = fields.IntField(default=0)
    cause_kind = fields.CharEnumField(IncidentCause, max_length=16, default=IncidentCause.DIRECT)
    # UPSTREAM: the root incident (a DIRECT one) of the dependency that was down.
    upstream: fields.ForeignKeyNullableRelation[Incident] = fields.ForeignKeyField(
        "models.Incident", related_name="attached", on_delete=fields.SET_NULL, null=True
    )
    upstream_id: int | None
    # A target in a dependency graph waits until then before alerting (settle window).
    hold_until = fields.DatetimeField(null=True)

    class Meta:
        table = "incidents"
        indexes = (
            ("workspace_id", "resolved_at"),
            ("target_id", "resolved_at"),
            ("upstream_id", "resolved_at"),
        )


class AlertEvent(Model):
    """Something worth telling: opened, resolved, degraded, a reminder, a summary or a test.

    dedupe_key makes its creation idempotent (one event per transition, per reminder...).
    """

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="alert_events", on_delete=fields.CASCADE
    )
    workspace_id: int
    target: fields.ForeignKeyNullableRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="alert_events", on_delete=fields.CASCADE, null=True
    )
    target_id: int | None
    incident: fields.ForeignKeyNullableRelation[Incident] = fields.ForeignKeyField(
        "models.Incident", related_name="events", on_delete=fields.CASCADE, null=True
    )
    incident_id: int | None
    kind = fields.CharEnumField(EventKind, max_length=16)
    dedupe_key = fields.CharField(max_length=128, unique=True)
    at = fields.DatetimeField()
    status = fields.CharField(max_length=16, null=True)  # the target status it reports
    cause = nullable_text()
    regions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "alert_events"
