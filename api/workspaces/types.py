"""GraphQL types of workspaces."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.core.errors import TwoFactorRequiredError
from api.core.ids import encode
from api.core.values import db_ints
from api.graphql.context import Info
from api.graphql.loaders import loader
from api.graphql.nodes import resolve_scoped
from api.graphql.payloads import MutationPayload
from api.graphql.permissions import requires
from api.workspaces import models
from api.workspaces.members import members_of, pending_invitations
from api.workspaces.models import Role
from api.workspaces.service import visible_to

if TYPE_CHECKING:
    from api.billing.types import Billing, BillingEvent, InvoiceConnection, PlanLimits, Usage
    from api.incidents.types import IncidentConnection
    from api.maintenance.types import MaintenanceWindow
    from api.notifications.types import AlertChannel
    from api.results.mutations import SlaReportSchedule
    from api.targets.types import TargetConnection, TargetStatus


# strawberry.enum marks the model enum itself as the GraphQL enum (one class, one set of values).
strawberry.enum(Role, description="A member's role in a workspace.")


MAX_LISTED = 100
"""Plain (unpaged) lists answer at most this many items."""


@strawberry.type(description="A person's membership of a workspace.")
class Member:
    user_id: strawberry.ID = strawberry.field(description="Global id of the member's user.")
    email: str = strawberry.field(description="The member's e-mail address.")
    display_name: str | None = strawberry.field(description="The member's display name.")
    role: Role = strawberry.field(description="The member's role in the workspace.")
    joined_at: datetime = strawberry.field(description="When the member joined.")

    @classmethod
    def from_model(cls, membership: models.Membership) -> Member:
        user = membership.user
        return cls(
            user_id=strawberry.ID(encode("User", user.id)),
            email=user.email,
            display_name=user.display_name,
            role=Role(membership.role),
            joined_at=membership.created_at,
        )


@strawberry.type(description="A pending invitation to join a workspace.")
class Invitation:
    id: strawberry.ID = strawberry.field(description="Global id of the invitation.")
    email: str = strawberry.field(description="The invited address.")
    role: Role = strawberry.field(description="The role given on acceptance.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")

    @classmethod
    def from_model(cls, row: models.Invitation) -> Invitation:
        return cls(
            id=strawberry.ID(encode("Invitation", row.id)),
            email=row.email,
            role=Role(row.role),
            expires_at=row.expires_at,
        )


@strawberry.type(description="A team's space: it owns targets, channels and incidents.")
class Workspace(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="Display name.")
    viewer_role: Role = strawberry.field(description="The caller's role in this workspace.")
    require_two_factor: bool = strawberry.field(
        description="Whether members need a second factor to reach this workspace's data "
        "(set by an OWNER with setWorkspaceRequireTwoFactor)."
    )

    @classmethod
    def from_model(cls, ws: models.Workspace, role: str) -> Workspace:
        return cls(
            pk=ws.id,
            name=ws.name,
            viewer_role=Role(role),
            require_two_factor=ws.require_two_factor,
        )

    @strawberry.field(
        description="The workspace's members, oldest first (at most the first 100).",
        permission_classes=[requires("account:read")],
    )
    async def members(self, info: Info) -> list[Member]:
        async def batch(ids: Sequence[int]) -> list[list[models.Membership]]:
            grouped = await members_of(ids)
            return [grouped[i] for i in ids]

        rows = await loader(info.context, "workspace_members", batch).load(self.pk)
        return [Member.from_model(m) for m in rows[:MAX_LISTED]]

    @strawberry.field(
        description="Pending invitations (empty unless the caller is an OWNER or ADMIN).",
        permission_classes=[requires("account:read")],
    )
    async def invitations(self, info: Info) -> list[Invitation]:
        rows = await pending_invitations(info.context.principal, self.pk)
        return [Invitation.from_model(r) for r in rows]

    # Alerting fields: the logic lives in api/incidents, api/notifications, api/maintenance.
    @strawberry.field(
        description="Incidents of this workspace, newest first; open filters open/resolved.",
        permission_classes=[requires("alerts:read")],
    )
    async def incidents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        open: bool | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Annotated[IncidentConnection, strawberry.lazy("api.incidents.types")]:
        from api.incidents.types import workspace_incidents

        return await workspace_incidents(
            info, self.pk, open=open, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="Where this workspace's alerts go.",
        permission_classes=[requires("alerts:read")],
    )
    async def alert_channels(
        self, info: Info
    ) -> list[Annotated[AlertChannel, strawberry.lazy("api.notifications.types")]]:
        from api.notifications.types import workspace_channels

        return await workspace_channels(info, self.pk)

    @strawberry.field(
        description="The alert policy of targets without their own (channelIds are global ids).",
        permission_classes=[requires("alerts:read")],
    )
    async def alert_policy(self, info: Info) -> JSON:
        from api.notifications.policy import workspace_default
        from api.notifications.types import public_policy

        return public_policy(await workspace_default(self.pk))

    @strawberry.field(
        description="The monthly SLA report e-mail (setSlaReportSchedule); null: none.",
        permission_classes=[requires("alerts:read")],
    )
    async def sla_report_schedule(
        self, info: Info
    ) -> Annotated[SlaReportSchedule, strawberry.lazy("api.results.mutations")] | None:
        from api.results.mutations import workspace_schedule

        return await workspace_schedule(info, self.pk)

    @strawberry.field(
        description="Planned maintenance windows (alerts held back inside them).",
        permission_classes=[requires("alerts:read")],
    )
    async def maintenance_windows(
        self, info: Info
    ) -> list[Annotated[MaintenanceWindow, strawberry.lazy("api.maintenance.types")]]:
        from api.maintenance.types import workspace_windows

        return await workspace_windows(info, self.pk)

    @strawberry.field(
        description="The workspace's targets, newest first, by status and name search.",
        permission_classes=[requires("targets:read")],
    )
    async def targets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[TargetStatus, strawberry.lazy("api.targets.types")] | None = None,
        search: str | None = None,
    ) -> Annotated[TargetConnection, strawberry.lazy("api.targets.types")]:
        from api.targets.types import workspace_targets

        return await workspace_targets(
            info, self.pk, first=first, after=after, status=status, search=search
        )

    # Billing fields: the logic lives in api/billing.
    @strawberry.field(
        description="Plan and subscription; null unless the caller is an OWNER or ADMIN.",
        permission_classes=[requires("account:read")],
    )
    async def billing(
        self, info: Info
    ) -> Annotated[Billing, strawberry.lazy("api.billing.types")] | None:
        from api.billing.types import billing_of

        return await billing_of(info, self.pk)

    @strawberry.field(
        description="What the workspace uses of its plan's counted limits.",
        permission_classes=[requires("account:read")],
    )
    async def usage(self, info: Info) -> Annotated[Usage, strawberry.lazy("api.billing.types")]:
        from api.billing.types import usage_of

        return await usage_of(self.pk)

    @strawberry.field(
        description="The limits of the workspace's plan.",
        permission_classes=[requires("account:read")],
    )
    async def limits(
        self, info: Info
    ) -> Annotated[PlanLimits, strawberry.lazy("api.billing.types")]:
        from api.billing.types import limits_of

        return await limits_of(info, self.pk)

    @strawberry.field(
        description="Invoices, newest first (empty unless the caller is an OWNER or ADMIN).",
        permission_classes=[requires("account:read")],
    )
    async def invoices(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[InvoiceConnection, strawberry.lazy("api.billing.types")]:
        from api.billing.types import invoices_of

        return await invoices_of(info, self.pk, first, after)

    @strawberry.field(
        description="The billing event log, newest first (OWNERs only; at most 100).",
        permission_classes=[requires("account:read")],
    )
    async def billing_events(
        self, info: Info
    ) -> list[Annotated[BillingEvent, strawberry.lazy("api.billing.types")]]:
        from api.billing.types import events_of

        return await events_of(info, self.pk)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        node_ids = list(node_ids)
        principal = info.context.principal
        if principal.two_factor_blocked and set(db_ints(node_ids)) & principal.two_factor_blocked:
            raise TwoFactorRequiredError(
                "This workspace requires a second factor: set one up to reach its data."
            )
        memberships = principal.memberships
        return await resolve_scoped(
            info,
            node_ids,
            scope=("account:read", "targets:read"),
            query=visible_to,
            to_node=lambda w: cls.from_model(w, memberships[w.id]),
        )


@strawberry.type(description="The answer of createWorkspace and acceptInvitation.")
class WorkspacePayload(MutationPayload):
    workspace: Workspace | None = strawberry.field(default=None, description="The workspace.")


@strawberry.type(description="The answer of inviteMember.")
class InvitationPayload(MutationPayload):
    invitation: Invitation | None = strawberry.field(
        default=None, description="The invitation (its link went by e-mail)."
    )


@strawberry.type(description="The answer of changeRole.")
class MemberPayload(MutationPayload):
    member: Member | None = strawberry.field(default=None, description="The member, updated.")
