"""Staff grant a plan with a reason; audited like every staff access (the workspace's
owners see it in their access log)."""

from __future__ import annotations

from api.accounts.models import User
from api.auth.principal import Principal
from api.billing import pausing, service
from api.billing.plans import Plan
from api.core.errors import Forbidden, NotFound
from api.privacy import audit
from api.resources import Resources
from api.workspaces.models import Membership, Role, Workspace


async def grant_plan(
    resources: Resources, principal: Principal, *, workspace_id: int, plan: Plan, reason: str
) -> Plan:
    if not principal.is_staff or principal.user_id is None:
        raise Forbidden("Staff only.")
    text = audit.clean_reason(reason)
    workspace = await Workspace.get_or_none(id=workspace_id)
    if workspace is None:
        raise NotFound("No workspace with this id.", field="workspaceId")
    staff = await User.get(id=principal.user_id)
    label = audit.staff_label(staff)
    _, after = await service.set_plan(
        resources.settings, workspace_id, plan, by="STAFF", detail=f"{label}: {text}"
    )
    owners = await Membership.filter(workspace_id=workspace_id, role=Role.OWNER)
    for owner in owners:
        await audit.record(
            owner.user_id,
            "staff.grant_plan",
            actor=label,
            actor_user_id=staff.id,
            reason=text,
            details={"workspace": workspace.name, "plan": plan.value},
        )
    await pausing.reconcile_targets(resources, workspace_id)
    return after
