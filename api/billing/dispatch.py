"""Enqueue billing jobs by name (the api never imports the workers)."""

from __future__ import annotations

from api.billing.models import Subscription, SubscriptionStatus
from api.resources import CORE_QUEUE, Resources

CANCEL_FOR_DELETION = "cancel_subscription_for_deletion"


async def cancel_for_deletion(resources: Resources, workspace_ids: list[int]) -> int:
    """After an account deletion is confirmed: cancel the provider subscriptions of the
    workspaces that go with it (a retried job each; one job per workspace)."""
    live = await Subscription.filter(
        workspace_id__in=workspace_ids,
        status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE],
        subscription_id__isnull=False,
    ).values("workspace_id")
    for row in live:
        workspace_id = int(row["workspace_id"])
        await resources.redis.enqueue_job(
            CANCEL_FOR_DELETION,
            workspace_id=workspace_id,
            _queue_name=CORE_QUEUE,
            _job_id=f"billing-cancel:{workspace_id}",
        )
    return len(live)
