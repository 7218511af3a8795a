"""Targets, their per-region state, check results, hourly rollups and state transitions."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from api.core.orm import nullable_text

if TYPE_CHECKING:
    from api.workspaces.models import Workspace


class TargetKind(StrEnum):
    HTTP = "HTTP"
    TCP = "TCP"
    DNS = "DNS"
    TLS = "TLS"
    ICMP = "ICMP"
    HEARTBEAT = "HEARTBEAT"


class TargetStatus(StrEnum):
    PENDING = "PENDING"
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"
    PAUSED = "PAUSED"


class CheckStatus(StrEnum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"
    # Not a verdict on the target: the probe could not run the check fairly (overloaded,
    # started too late); ignored by the state machine and by uptime figures.
    INCONCLUSIVE = "INCONCLUSIVE"


class Target(Model):
    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="targets", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(TargetKind, max_length=16)
    # Public config (secret values replaced by a placeholder) and the encrypted secrets
    # (a key-ring ciphertext of a JSON object), kept apart so secrets never leak by accident.
    config: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    secrets_encrypted = nullable_text()
    interval_seconds = fields.IntField(default=60)
    timeout_seconds = fields.FloatField(default=10.0)
    regions: fields.JSONField[list[str]] = fields.JSONField(default=list)
    alert_policy: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    status = fields.CharEnumField(TargetStatus, max_length=16, default=TargetStatus.PENDING)
    status_changed_at = fields.DatetimeField(null=True)
    paused = fields.BooleanField(default=False)
    # The state machine's cursor and version (api/targets/state.py): the checked_at of the
    # latest result applied to the state, and a counter every state write bumps, so N
    # ingesters update a target with a compare-and-set (a loser retries its batch).
    state_checked_at = fields.DatetimeField(null=True)
    state_version = fields.IntField(default=0)
    heartbeat_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    # The plain heartbeat token, encrypted with the key ring, so heartbeatUrl can be shown again.
    heartbeat_token_encrypted = nullable_text()
    # last ping + interval + grace: a HEARTBEAT target is late once this has passed.
    heartbeat_deadline_at = fields.DatetimeField(null=True, db_index=True)
    last_heartbeat_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "targets"
        indexes = (("workspace_id", "status"),)


class TargetRegionState(Model):
    """The latest status of one target as seen from one region."""

    id = fields.IntField(primary_key=True)
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="region_states", on_delete=fields.CASCADE
    )
    target_id: int
    region = fields.CharField(max_length=32)
    status = fields.CharEnumField(CheckStatus, max_length=16, null=True)
    consecutive_failures = fields.IntField(default=0)
    last_checked_at = fields.DatetimeField(null=True)
    last_error = nullable_text()
    # The region's latest result was INCONCLUSIVE (its probe overloaded): its last vote
    # stands, but an UP vote no longer blocks the other regions' confirmation of an outage.
    inconclusive = fields.BooleanField(default=False)

    class Meta:
        table = "target_region_states"
        unique_together = (("target", "region"),)


class CheckResult(Model):
    id = fields.BigIntField(primary_key=True)
    check_id = fields.CharField(max_length=64, unique=True)  # idempotency key of a check
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="results", on_delete=fields.CASCADE
    )
    target_id: int
    region = fields.CharField(max_length=32)
    checked_at = fields.DatetimeField()
    status = fields.CharEnumField(CheckStatus, max_length=16)
    response_time_ms = fields.FloatField(null=True)
    dns_ms = fields.FloatField(null=True)
    connect_ms = fields.FloatField(null=True)
    tls_ms = fields.FloatField(null=True)
    first_byte_ms = fields.FloatField(null=True)
    transfer_ms = fields.FloatField(null=True)
    http_status = fields.IntField(null=True)
    error = nullable_text()
    certificate_expires_at = fields.DatetimeField(null=True)
    in_maintenance = fields.BooleanField(default=False)

    class Meta:
        table = "check_results"
        indexes = (("target_id", "checked_at"), ("target_id", "region", "checked_at"))


class ResultRollup(Model):
    """Aggregate of one target in one region over an hour (span h), a UTC day (span d) or
    a UTC calendar month (span m).

    Kept a year while raw results are kept less. Daily rows are built from hourly rows and
    let a year of statistics read about 365 rows per region instead of 8760; monthly rows
    are built from daily rows (12 a year), for SLA reports.
    """

    id = fields.BigIntField(primary_key=True)
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="rollups", on_delete=fields.CASCADE
    )
    target_id: int
    region = fields.CharField(max_length=32)
    span = fields.CharField(max_length=1, default="h")  # h = hour, d = day, m = month
    hour = fields.DatetimeField()  # start of the hour (or of the day)
    checks = fields.IntField(default=0)
    failures = fields.IntField(default=0)
    sum_ms = fields.FloatField(default=0)
    timed_checks = fields.IntField(default=0)
    # Latency histogram: {bucket index: count} over api.results.buckets.BOUNDS_MS.
    histogram: fields.JSONField[dict[str, int]] = fields.JSONField(default=dict)
    # Span m only: bit i set when day i + 1 of the month has a daily row with checks (the
    # days an SLA report counts as monitored whole). 0 for the other spans.
    day_mask = fields.IntField(default=0)

    class Meta:
        table = "result_rollups"
        unique_together = (("target", "region", "span", "hour"),)
        indexes = (("target_id", "span", "hour"),)


class StateTransition(Model):
    """A change of a target's overall status: the input of incidents and alerting.

    `claimed_at` is set by the one worker that processes it (conditional update).
    """

    id = fields.BigIntField(primary_key=True)
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="transitions", on_delete=fields.CASCADE
    )
    target_id: int
    from_status = fields.CharEnumField(TargetStatus, max_length=16)
    to_status = fields.CharEnumField(TargetStatus, max_length=16)
    at = fields.DatetimeField()
    regions: fields.JSONField[list[str]] = fields.JSONField(
        default=list
    )  # the regions that reported the new status
    cause = nullable_text()  # first failing error, for DOWN/DEGRADED
    claimed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "state_transitions"
        indexes = (("target_id", "at"),)


class TargetGroup(Model):
    """A named set of targets of one workspace (e.g. "EU edge"): usable as a dependency
    (api/targets/dependencies.py) and as the scope of an SLA report (api/results/)."""

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="target_groups", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=100)
    targets: fields.ManyToManyRelation[Target] = fields.ManyToManyField(
        "models.Target", related_name="groups", through="target_group_members"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "target_groups"
        unique_together = (("workspace_id", "name"),)


class TargetDependency(Model):
    """One edge of the dependency graph: `target` depends on a target or on a group
    (exactly one of the two). Rules and cycle checks in api/targets/dependencies.py."""

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="target_dependencies", on_delete=fields.CASCADE
    )
    workspace_id: int
    target: fields.ForeignKeyRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="dependency_links", on_delete=fields.CASCADE
    )
    target_id: int
    upstream_target: fields.ForeignKeyNullableRelation[Target] = fields.ForeignKeyField(
        "models.Target", related_name="dependent_links", on_delete=fields.CASCADE, null=True
    )
    upstream_target_id: int | None
    upstream_group: fields.ForeignKeyNullableRelation[TargetGroup] = fields.ForeignKeyField(
        "models.TargetGroup", related_name="dependent_links", on_delete=fields.CASCADE, null=True
    )
    upstream_group_id: int | None
    position = fields.IntField(default=0)  # the order the user gave

    class Meta:
        table = "target_dependencies"
        indexes = (("workspace_id",), ("upstream_target_id",), ("upstream_group_id",))
