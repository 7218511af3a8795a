"""Audit events, the deletion ledger, data exports and anonymous usage statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from api.core.orm import nullable_text

if TYPE_CHECKING:
    from api.accounts.models import User


class AuditEvent(Model):
    """Something done to a customer account by staff or the system, with its reason.

    `visible` events are shown to the subject in User.accessLog (staff reads).
    """

    id = fields.IntField(primary_key=True)
    subject: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_events", on_delete=fields.CASCADE
    )
    subject_id: int
    actor_user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_actions", on_delete=fields.SET_NULL, null=True
    )
    actor_user_id: int | None
    actor = fields.CharField(max_length=100)
    action = fields.CharField(max_length=64)
    reason = fields.CharField(max_length=500, null=True)
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    visible = fields.BooleanField(default=True)
    at = fields.DatetimeField()

    class Meta:
        table = "audit_events"
        indexes = (("subject_id", "visible"),)


class DeletionLedger(Model):
    """Accounts confirmed for deletion (with their purge date) and purged accounts.

    Re-applied after a restore. Holds no e-mail, no name.
    """

    id = fields.IntField(primary_key=True)
    user_id = fields.IntField(unique=True)
    scheduled_for = fields.DatetimeField(null=True)  # the promised purge date
    purged_at = fields.DatetimeField(null=True)  # set once purged

    class Meta:
        table = "deletion_ledger"


class DataExport(Model):
    """An archive of an account, built by a job, downloadable once through a link."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="data_exports", on_delete=fields.CASCADE
    )
    user_id: int
    status = fields.CharField(max_length=16, default="PENDING")
    requested_at = fields.DatetimeField()
    ready_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    downloaded_at = fields.DatetimeField(null=True)
    token_hash = fields.CharField(max_length=64, null=True, unique=True)
    token_encrypted = nullable_text()
    file_name = fields.CharField(max_length=128, null=True)
    size_bytes = fields.BigIntField(null=True)

    class Meta:
        table = "data_exports"


class UsageStatistic(Model):
    """One anonymous aggregate: no workspace, target or user id, small buckets suppressed."""

    id = fields.IntField(primary_key=True)
    day = fields.CharField(max_length=10)
    metric = fields.CharField(max_length=64)
    bucket = fields.CharField(max_length=64)
    value = fields.FloatField()

    class Meta:
        table = "usage_statistics"
        unique_together = (("day", "metric", "bucket"),)
