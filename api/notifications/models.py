"""Alert channels, the delivery log (one Notification row per delivery) and workspace defaults."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from api.core.orm import nullable_text

if TYPE_CHECKING:
    from api.incidents.models import AlertEvent
    from api.workspaces.models import Workspace


class ChannelKind(StrEnum):
    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"
    SLACK = "SLACK"
    DISCORD = "DISCORD"
    TELEGRAM = "TELEGRAM"
    TEAMS = "TEAMS"
    PAGERDUTY = "PAGERDUTY"
    OPSGENIE = "OPSGENIE"
    SMS = "SMS"
    NTFY = "NTFY"
    PUSHOVER = "PUSHOVER"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Not sent: held back by the flapping guard, or a dependent's DOWN while its upstream
    # is down (last_error says which).
    SUPPRESSED = "SUPPRESSED"


class AlertChannel(Model):
    """Where alerts go. Public settings in config, secrets encrypted in secrets_encrypted."""

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="alert_channels", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(ChannelKind, max_length=16)
    config: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    secrets_encrypted = nullable_text()
    enabled = fields.BooleanField(default=True)
    # An EMAIL channel to an address outside the verified members waits for a confirmation.
    verified = fields.BooleanField(default=True)
    consecutive_failures = fields.IntField(default=0)
    disabled_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert_channels"


class Notification(Model):
    """One delivery of one alert event to one channel, with its attempts."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="notifications", on_delete=fields.CASCADE
    )
    workspace_id: int
    event: fields.ForeignKeyRelation[AlertEvent] = fields.ForeignKeyField(
        "models.AlertEvent", related_name="notifications", on_delete=fields.CASCADE
    )
    event_id: int
    channel: fields.ForeignKeyNullableRelation[AlertChannel] = fields.ForeignKeyField(
        "models.AlertChannel", related_name="notifications", on_delete=fields.SET_NULL, null=True
    )
    channel_id: int | None
    target_id = fields.IntField(null=True)  # copy of the event target, for the flapping guard
    kind = fields.CharField(max_length=16)  # DOWN UP DEGRADED REMINDER SUMMARY TEST
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        unique_together = (("event", "channel"),)
        indexes = (("target_id", "channel_id", "created_at"),)


class WorkspaceAlertDefault(Model):
    """The alert policy used by the targets of a workspace that have none of their own."""

    id = fields.IntField(primary_key=True)
    workspace: fields.OneToOneRelation[Workspace] = fields.OneToOneField(
        "models.Workspace", related_name="alert_default", on_delete=fields.CASCADE
    )
    workspace_id: int
    policy: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "workspace_alert_defaults"
