"""Workspace mutations: thin resolvers over api.workspaces.service / members."""

from __future__ import annotations

import strawberry

from api.core.ids import decode
from api.graphql.context import Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import requires
from api.workspaces import members, service
from api.workspaces.models import Role as RoleModel
from api.workspaces.types import (
    Invitation,
    InvitationPayload,
    Member,
    MemberPayload,
    Role,
    Workspace,
    WorkspacePayload,
)

WRITE = [requires("account:write")]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a team workspace; the caller becomes its OWNER.",
        permission_classes=WRITE,
    )
    @domain_errors_in(WorkspacePayload)
    async def create_workspace(self, info: Info, name: str) -> WorkspacePayload:
        ws = await service.create_workspace(info.context.principal, name=name)
        return WorkspacePayload(workspace=Workspace.from_model(ws, RoleModel.OWNER))

    @strawberry.mutation(
        description="Invite someone by e-mail (OWNER or ADMIN; only an OWNER may invite an "
        "OWNER). The link is valid 7 days; a new invitation replaces a pending one. An "
        "address is mailed at most once a day per workspace: inviting it again within the "
        "day answers the pending invitation (with the new role) without a new mail. "
        "Invitations per workspace, inviter and recipient are limited per day (RATE_LIMITED).",
        permission_classes=WRITE,
    )
    @domain_errors_in(InvitationPayload)
    async def invite_member(
        self, info: Info, workspace_id: strawberry.ID, email: str, role: Role
    ) -> InvitationPayload:
        context = info.context
        invitation = await members.invite(
            context.resources,
            context.principal,
            workspace_id=decode(workspace_id, "Workspace", field="workspaceId"),
            email=email,
            role=RoleModel(role.value),
        )
        return InvitationPayload(invitation=Invitation.from_model(invitation))

    @strawberry.mutation(
        description="Join a workspace with an invitation token, logged in with the invited "
        "(verified) address.",
        permission_classes=WRITE,
    )
    @domain_errors_in(WorkspacePayload)
    async def accept_invitation(self, info: Info, token: str) -> WorkspacePayload:
        ws, role = await members.accept(info.context.resources, info.context.principal, token)
        return WorkspacePayload(workspace=Workspace.from_model(ws, role))

    @strawberry.mutation(
        description="Remove a member (OWNER or ADMIN; only an OWNER removes an OWNER), or "
        "leave (your own user id). The last OWNER cannot be removed. deletedId is the user id.",
        permission_classes=WRITE,
    )
    @domain_errors_in(DeletePayload)
    async def remove_member(
        self, info: Info, workspace_id: strawberry.ID, user_id: strawberry.ID
    ) -> DeletePayload:
        context = info.context
        await members.remove(
            context.resources,
            context.principal,
            workspace_id=decode(workspace_id, "Workspace", field="workspaceId"),
            user_id=decode(user_id, "User", field="userId"),
        )
        return DeletePayload(deleted_id=user_id)

    @strawberry.mutation(
        description="Change a member's role (OWNER or ADMIN; only an OWNER grants OWNER or "
        "changes an OWNER). The last OWNER cannot be demoted.",
        permission_classes=WRITE,
    )
    @domain_errors_in(MemberPayload)
    async def change_role(
        self, info: Info, workspace_id: strawberry.ID, user_id: strawberry.ID, role: Role
    ) -> MemberPayload:
        membership = await members.change_role(
            info.context.resources,
            info.context.principal,
            workspace_id=decode(workspace_id, "Workspace", field="workspaceId"),
            user_id=decode(user_id, "User", field="userId"),
            role=RoleModel(role.value),
        )
        return MemberPayload(member=Member.from_model(membership))

    @strawberry.mutation(
        description="Cancel a pending invitation (OWNER or ADMIN); its link stops working.",
        permission_classes=WRITE,
    )
    @domain_errors_in(DeletePayload)
    async def revoke_invitation(self, info: Info, id: strawberry.ID) -> DeletePayload:
        await members.revoke_invitation(info.context.principal, decode(id, "Invitation"))
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        description="Require (or stop requiring) a second factor from every member (OWNER "
        "only; you need one yourself to turn it on). Members without one get "
        "TWO_FACTOR_REQUIRED on this workspace's data until they set one up.",
        permission_classes=WRITE,
    )
    @domain_errors_in(WorkspacePayload)
    async def set_workspace_require_two_factor(
        self, info: Info, workspace_id: strawberry.ID, required: bool
    ) -> WorkspacePayload:
        principal = info.context.principal
        ws = await service.set_require_two_factor(
            info.context.resources,
            principal,
            decode(workspace_id, "Workspace", field="workspaceId"),
            required=required,
        )
        return WorkspacePayload(workspace=Workspace.from_model(ws, principal.memberships[ws.id]))
