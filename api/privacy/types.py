"""GraphQL types of privacy: audit events, data exports, partners, policy, staff views."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from api.core.errors import DomainError, Forbidden
from api.core.ids import encode
from api.graphql.context import Info
from api.graphql.errors import InvalidArgument
from api.graphql.nodes import resolve_scoped
from api.graphql.pagination import Connection, paginate
from api.graphql.payloads import MutationPayload
from api.privacy import audit, export, models, support


@strawberry.type(description="Something staff did with your data, and why.")
class AuditEvent(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    at: datetime = strawberry.field(description="When it happened.")
    actor: str = strawberry.field(description="Who did it (e.g. a staff member's number).")
    action: str = strawberry.field(description="What was done, e.g. staff.read_account.")
    reason: str | None = strawberry.field(description="The reason they gave.")

    @classmethod
    def from_model(cls, row: models.AuditEvent) -> AuditEvent:
        return cls(pk=row.id, at=row.at, actor=row.actor, action=row.action, reason=row.reason)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info,
            node_ids,
            scope="account:read",
            query=lambda p: None if p.user_id is None else audit.access_log_of(p.user_id),
            to_node=cls.from_model,
        )


@strawberry.type(name="AuditEventConnection", description="A page of audit events.")
class AuditEventConnection(Connection[AuditEvent]):
    pass


async def access_log_resolver(
    root: Any, info: Info, first: int | None = None, after: str | None = None
) -> AuditEventConnection:
    """User.accessLog: only the user themself (with account:read) reads it."""
    principal = info.context.principal
    if principal.user_id is None or int(root.pk) != principal.user_id:
        raise Forbidden("Only the account owner can read its access log.")
    if not principal.has_scope("account:read"):
        raise Forbidden("Missing scope: account:read.", scope="account:read")
    try:
        page = await paginate(
            audit.access_log_of(principal.user_id),
            first=first,
            after=after,
            to_node=AuditEvent.from_model,
        )
    except DomainError as exc:
        raise InvalidArgument(exc.message, field=exc.field) from None
    return AuditEventConnection(
        edges=page.edges, page_info=page.page_info, total_count=page.total_count
    )


@strawberry.enum(description="Where a data export stands.")
class DataExportState(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Being built.")
    READY = strawberry.enum_value("READY", description="Built: downloadUrl fetches it once.")
    DOWNLOADED = strawberry.enum_value("DOWNLOADED", description="Fetched; the link is spent.")


@strawberry.type(description="An archive of everything your account holds, built on request.")
class DataExport(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    status: str = strawberry.field(
        description="PENDING, READY or DOWNLOADED.",
        deprecation_reason="Use state (an enum); status goes in a later release.",
    )
    state: DataExportState = strawberry.field(description="Where the export stands.")
    requested_at: datetime = strawberry.field(description="When it was asked for.")
    download_url: str | None = strawberry.field(
        description="Single-use link while READY; null otherwise."
    )
    expires_at: datetime | None = strawberry.field(description="When the archive is deleted.")

    @classmethod
    def from_model(cls, info: Info, row: models.DataExport) -> DataExport:
        return cls(
            pk=row.id,
            status=row.status,
            state=DataExportState(row.status),
            requested_at=row.requested_at,
            # The single-use link only to the account holder's own session: a token with
            # account:read (PAT, OAuth) may list exports but never fetch the archive.
            download_url=(
                export.download_url(info.context.resources, row)
                if info.context.principal.kind == "session"
                else None
            ),
            expires_at=row.expires_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info,
            node_ids,
            scope="account:read",
            query=lambda p: (
                None if p.user_id is None else models.DataExport.filter(user_id=p.user_id)
            ),
            to_node=lambda row: cls.from_model(info, row),
        )


@strawberry.type(description="The answer of requestDataExport.")
class DataExportPayload(MutationPayload):
    export: DataExport | None = strawberry.field(
        default=None, description="The export; null on failure."
    )


@strawberry.type(description="A company that processes data for Hitflow (a subprocessor).")
class Partner:
    name: str = strawberry.field(description="Company or service name.")
    purpose: str = strawberry.field(description="What it does for Hitflow.")
    location: str = strawberry.field(description="Where it processes the data.")


@strawberry.type(description="The privacy policy in force.")
class PrivacyPolicy:
    version: str = strawberry.field(description="Version label.")
    effective_at: datetime = strawberry.field(description="Since when it applies.")
    url: str | None = strawberry.field(description="Where to read it.")


@strawberry.type(description="One anonymous aggregate (small buckets are never published).")
class UsageStatistic:
    day: str = strawberry.field(description="The day it was computed (UTC, YYYY-MM-DD).")
    metric: str = strawberry.field(description="e.g. targets_by_kind, median_ms_by_region.")
    bucket: str = strawberry.field(description="The bucket: a kind, a region, an uptime band.")
    value: float = strawberry.field(description="The aggregate value.")


# --- staff support views ---------------------------------------------------------------


@strawberry.type(description="A workspace as listed in a staff support view.")
class SupportWorkspaceSummary:
    id: strawberry.ID = strawberry.field(description="Global id of the workspace.")
    name: str = strawberry.field(description="Display name.")
    plan: str = strawberry.field(description="Plan.")
    role: str = strawberry.field(description="The customer's role in it.")
    targets: int = strawberry.field(description="How many targets it has.")


@strawberry.type(description="An account as staff see it for support: no secrets.")
class SupportUser:
    id: strawberry.ID = strawberry.field(description="Global id of the user.")
    email: str = strawberry.field(description="Login address.")
    display_name: str | None = strawberry.field(description="Display name.")
    email_verified: bool = strawberry.field(description="Whether the address was confirmed.")
    is_active: bool = strawberry.field(description="False once deletion is confirmed.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    deletion_scheduled_for: datetime | None = strawberry.field(description="Purge date.")
    legal_hold: bool = strawberry.field(description="Whether a legal hold applies.")
    workspaces: list[SupportWorkspaceSummary] = strawberry.field(description="Memberships.")

    @classmethod
    def from_view(cls, v: support.SupportUserView) -> SupportUser:
        return cls(
            id=strawberry.ID(encode("User", v.id)),
            email=v.email,
            display_name=v.display_name,
            email_verified=v.email_verified,
            is_active=v.is_active,
            created_at=v.created_at,
            deletion_scheduled_for=v.deletion_scheduled_for,
            legal_hold=v.legal_hold,
            workspaces=[
                SupportWorkspaceSummary(
                    id=strawberry.ID(encode("Workspace", w.id)),
                    name=w.name,
                    plan=w.plan,
                    role=w.role,
                    targets=w.targets,
                )
                for w in v.workspaces
            ],
        )


@strawberry.type(description="A target as staff see it: no config, no secrets.")
class SupportTarget:
    id: strawberry.ID = strawberry.field(description="Global id of the target.")
    name: str = strawberry.field(description="Name.")
    kind: str = strawberry.field(description="Check kind.")
    status: str = strawberry.field(description="Current status.")
    paused: bool = strawberry.field(description="Whether checks are paused.")
    interval_seconds: int = strawberry.field(description="Check interval.")
    regions: list[str] = strawberry.field(description="Probe regions.")


@strawberry.type(description="A workspace member as staff see it.")
class SupportMember:
    user_id: strawberry.ID = strawberry.field(description="Global id of the user.")
    email: str = strawberry.field(description="Login address.")
    role: str = strawberry.field(description="Role.")


@strawberry.type(description="A workspace as staff see it for support: no secrets, no config.")
class SupportWorkspace:
    id: strawberry.ID = strawberry.field(description="Global id of the workspace.")
    name: str = strawberry.field(description="Display name.")
    plan: str = strawberry.field(description="Plan.")
    created_at: datetime = strawberry.field(description="When it was created.")
    members: list[SupportMember] = strawberry.field(description="Members and roles.")
    targets: list[SupportTarget] = strawberry.field(description="Targets, without config.")

    @classmethod
    def from_view(cls, v: support.SupportWorkspaceView) -> SupportWorkspace:
        return cls(
            id=strawberry.ID(encode("Workspace", v.id)),
            name=v.name,
            plan=v.plan,
            created_at=v.created_at,
            members=[
                SupportMember(
                    user_id=strawberry.ID(encode("User", m.user_id)), email=m.email, role=m.role
                )
                for m in v.members
            ],
            targets=[
                SupportTarget(
                    id=strawberry.ID(encode("Target", t.id)),
                    name=t.name,
                    kind=t.kind,
                    status=t.status,
                    paused=t.paused,
                    interval_seconds=t.interval_seconds,
                    regions=t.regions,
                )
                for t in v.targets
            ],
        )


@strawberry.type(description="The answer of placeLegalHold / liftLegalHold.")
class LegalHoldPayload(MutationPayload):
    legal_hold: bool | None = strawberry.field(
        default=None,
        description="Whether the account is held after the change; null when nothing changed.",
    )
