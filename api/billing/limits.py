"""The plan-limit checks every service calls before it adds or widens something.

A check that guards a count runs in one transaction with the workspace row locked
(PostgreSQL: SELECT ... FOR UPDATE; SQLite serialises transactions), counting and
inserting inside it, so concurrent requests cannot overshoot a limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.transactions import in_transaction

from api.billing.models import Subscription
from api.billing.plans import Limit, Limits, Plan, limit_value, limits_of, parse_plan
from api.core import clock
from api.core.errors import DomainError
from api.notifications.models import AlertChannel
from api.settings import Settings
from api.statuspages.models import StatusPage
from api.targets.models import Target
from api.workspaces.models import Invitation, Membership, Workspace


class PlanLimitReached(DomainError):
    """A plan limit would be crossed; the message names the limit, the plan's value and usage."""

    code = "PLAN_LIMIT"

    def __init__(
        self,
        plan: Plan,
        limit: Limit,
        allowed: int,
        usage: int,
        *,
        field: str | None = None,
        advice: str = "Upgrade the plan to go further.",
    ) -> None:
        super().__init__(
            f"Plan limit reached: {limit.value} is {allowed} on the {plan.value} plan "
            f"(this workspace uses {usage}). {advice}",
            field=field,
        )
        self.plan, self.limit, self.allowed, self.usage = plan, limit, allowed, usage


def default_plan(settings: Settings) -> Plan:
    """The plan of a workspace that never subscribed: FREE, or UNLIMITED when no payment
    provider is configured (a self-hosted instance)."""
    return Plan.FREE if settings.billing_enabled else Plan.UNLIMITED


async def plan_of(settings: Settings, workspace_id: int) -> Plan:
    row = await Subscription.filter(workspace_id=workspace_id).values_list("plan", flat=True)
    return parse_plan(str(row[0])) if row else default_plan(settings)


async def limits_for(settings: Settings, workspace_id: int) -> tuple[Plan, Limits]:
    plan = await plan_of(settings, workspace_id)
    return plan, limits_of(plan)


async def api_rate(settings: Settings, workspace_ids: list[int]) -> int | None:
    """Requests per minute the plans of these workspaces allow an API token: the most
    generous of them (None: one of them sets no rate, or there is no workspace).

    Read on every request, so a plan change applies to the very next one."""
    if not workspace_ids:
        return None
    rows = await Subscription.filter(workspace_id__in=workspace_ids).values_list(
        "workspace_id", "plan"
    )
    plans = {int(ws): parse_plan(str(plan)) for ws, plan in rows}
    default = default_plan(settings)
    rates = [limits_of(plans.get(ws, default)).api_requests_per_minute for ws in workspace_ids]
    known = [rate for rate in rates if rate is not None]
    return max(known) if len(known) == len(rates) else None


async def usage(workspace_id: int, limit: Limit) -> int:
    """What a workspace uses of a counted limit."""
    if limit == Limit.TARGETS:
        return await Target.filter(workspace_id=workspace_id, paused=False).count()
    if limit == Limit.CHANNELS:
        return await AlertChannel.filter(workspace_id=workspace_id).count()
    if limit == Limit.MEMBERS:
        members = await Membership.filter(workspace_id=workspace_id).count()
        pending = await Invitation.filter(
            workspace_id=workspace_id, accepted_at=None, expires_at__gt=clock.now()
        ).count()
        return members + pending
    if limit == Limit.STATUS_PAGES:
        return await StatusPage.filter(workspace_id=workspace_id).count()
    return 0


FIELDS = {
    Limit.TARGETS: "workspaceId",
    Limit.CHANNELS: "workspaceId",
    Limit.MEMBERS: "email",
    Limit.STATUS_PAGES: "workspaceId",
}


@asynccontextmanager
async def room_for(
    settings: Settings, workspace_id: int, limit: Limit, *, adding: int = 1
) -> AsyncIterator[None]:
    """Hold the workspace's lock while the caller adds `adding` of `limit` inside the block.

    Raises PlanLimitReached (nothing written) when that would cross the plan's value.
    """
    async with in_transaction():
        await Workspace.filter(id=workspace_id).select_for_update().first()
        plan, limits = await limits_for(settings, workspace_id)
        allowed = limit_value(limits, limit)
        if allowed is not None:
            used = await usage(workspace_id, limit)
            if used + adding > allowed:
                raise PlanLimitReached(plan, limit, allowed, used, field=FIELDS.get(limit))
        yield


@asynccontextmanager
async def room_for_member(settings: Settings, workspace_id: int) -> AsyncIterator[None]:
    """Hold the workspace's lock while the caller turns an invitation into a membership.

    Counts members only (the invitation being accepted was counted when it was sent):
    invitations sent under a larger plan, or accepted concurrently, cannot overfill the
    workspace. Raises PlanLimitReached (nothing written) when it is full.
    """
    async with in_transaction():
        await Workspace.filter(id=workspace_id).select_for_update().first()
        plan, limits = await limits_for(settings, workspace_id)
        if limits.members is not None:
            members = await Membership.filter(workspace_id=workspace_id).count()
            if members + 1 > limits.members:
                raise PlanLimitReached(
                    plan,
                    Limit.MEMBERS,
                    limits.members,
                    members,
                    field="token",
                    advice="The workspace is full: ask its owners to upgrade the plan or "
                    "to remove a member, then accept this invitation again.",
                )
        yield


async def check_target_settings(
    settings: Settings, workspace_id: int, *, interval_seconds: int, regions: int
) -> None:
    """A target's interval and number of regions within the plan's limits."""
    plan, limits = await limits_for(settings, workspace_id)
    if interval_seconds < limits.min_interval_seconds:
        raise PlanLimitReached(
            plan,
            Limit.MIN_INTERVAL_SECONDS,
            limits.min_interval_seconds,
            interval_seconds,
            field="intervalSeconds",
        )
    if limits.regions_per_target is not None and regions > limits.regions_per_target:
        raise PlanLimitReached(
            plan, Limit.REGIONS_PER_TARGET, limits.regions_per_target, regions, field="regions"
        )


@asynccontextmanager
async def room_for_target(
    settings: Settings, workspace_id: int, *, interval_seconds: int, regions: int
) -> AsyncIterator[None]:
    """A new active target within the plan: its interval, its regions, the count (locked)."""
    await check_target_settings(
        settings, workspace_id, interval_seconds=interval_seconds, regions=regions
    )
    async with room_for(settings, workspace_id, Limit.TARGETS):
        yield


async def default_regions(settings: Settings, workspace_id: int, codes: list[str]) -> list[str]:
    """The regions of a target created without a choice: every served one the plan allows."""
    _, limits = await limits_for(settings, workspace_id)
    return codes if limits.regions_per_target is None else codes[: limits.regions_per_target]
