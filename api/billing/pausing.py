"""Targets follow the plan: over its limit the newest are paused (never deleted, owners
told which); when the plan grows again the ones billing paused are resumed."""

from __future__ import annotations

from api.auth.principal import ALL_SCOPES, Principal
from api.billing import eventlog, limits
from api.billing.models import BillingPause, Subscription
from api.billing.plans import Plan, limits_of
from api.core import clock
from api.core.errors import DomainError
from api.mail.service import send_mail
from api.resources import Resources
from api.targets import service as targets
from api.targets.models import Target
from api.workspaces.models import Membership, Role, Workspace


async def owner_addresses(workspace_id: int) -> list[str]:
    rows = await Membership.filter(workspace_id=workspace_id, role=Role.OWNER).values_list(
        "user__email", flat=True
    )
    return [str(r) for r in rows if r]


def _system(workspace_id: int) -> Principal:
    # Billing acts on the workspace's targets through the targets service, as its owner would.
    return Principal(
        kind="client", scopes=frozenset(ALL_SCOPES), memberships={workspace_id: Role.OWNER}
    )


async def reconcile_targets(resources: Resources, workspace_id: int) -> tuple[list[int], list[int]]:
    """Pause the targets over the plan's limit (newest first), or resume the ones billing
    paused while there is room (oldest first). Idempotent. Returns (paused, resumed) ids."""
    plan = await limits.plan_of(resources.settings, workspace_id)
    allowed = limits_of(plan).targets
    active = Target.filter(workspace_id=workspace_id, paused=False)
    paused: list[int] = []
    resumed: list[int] = []
    principal = _system(workspace_id)
    if allowed is not None and await active.count() > allowed:
        excess = await active.count() - allowed
        newest = await active.order_by("-created_at", "-id").limit(excess)
        for target in newest:
            await BillingPause.get_or_create(
                target_id=target.id,
                defaults={"workspace_id": workspace_id, "paused_at": clock.now()},
            )
            await targets.pause_target(resources, principal, target.id)
            paused.append(target.id)
        await eventlog.record(
            workspace_id,
            "TARGETS_PAUSED",
            f"{len(paused)} target(s) over the {plan} plan's limit of {allowed} paused",
        )
        await _mail_paused(resources, workspace_id, plan, newest)
        await _done(workspace_id)
        return paused, resumed
    pauses = await BillingPause.filter(workspace_id=workspace_id).order_by(
        "target__created_at", "target_id"
    )
    for pause in pauses:
        try:
            await targets.resume_target(resources, principal, pause.target_id)
        except DomainError:  # the plan is full, or the workspace is locked (deletion)
            break
        await BillingPause.filter(id=pause.id).delete()
        resumed.append(pause.target_id)
    if resumed:
        await eventlog.record(workspace_id, "TARGETS_RESUMED", f"{len(resumed)} target(s) resumed")
    await _done(workspace_id)
    return paused, resumed


async def _done(workspace_id: int) -> None:
    # Cleared only once the targets fit: a failure half-way leaves it for the next pass.
    await Subscription.filter(workspace_id=workspace_id).update(reconcile_pending=False)


async def _mail_paused(
    resources: Resources, workspace_id: int, plan: Plan, paused: list[Target]
) -> None:
    workspace = await Workspace.get(id=workspace_id)
    names = "\n".join(f"  - {t.name}" for t in paused)
    for address in await owner_addresses(workspace_id):
        await send_mail(
            resources,
            to=address,
            subject=f"Hitflow: {len(paused)} target(s) paused in {workspace.name}",
            body=(
                f"The workspace {workspace.name!r} is now on the {plan.value} plan, which "
                f"allows {limits_of(plan).targets} active targets. These were paused (the "
                f"most recently created first); nothing was deleted:\n\n{names}\n\n"
                "Upgrade the plan and they are resumed.\n"
            ),
        )
