"""The billing event log: one row per change, shown to the workspace's OWNERs.

The one place that writes BillingEvent rows (the subscription state machine, target
pausing, checkout requests), each stamped with the plan and status in force.
"""

from __future__ import annotations

from api.billing.models import BillingEvent, Subscription
from api.core import clock


async def record(
    workspace_id: int, kind: str, detail: str = "", *, sub: Subscription | None = None
) -> None:
    """A BillingEvent row; `sub` is the subscription as the caller holds it (inside its
    transaction), else the stored one is read."""
    if sub is None:
        sub = await Subscription.get_or_none(workspace_id=workspace_id)
    await BillingEvent.create(
        workspace_id=workspace_id,
        at=clock.now(),
        kind=kind,
        plan=sub.plan if sub else None,
        status=sub.status.value if sub else None,
        detail=detail[:500],
    )
