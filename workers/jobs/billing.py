"""Billing jobs: the grace-period downgrade (cron) and the provider cancellation that
account deletion starts (retried until the provider confirms)."""

from __future__ import annotations

from typing import Any

from arq import Retry

from api.billing import checkout, service
from api.billing.providers.base import ProviderError
from api.core.logging import get_logger

log = get_logger(__name__)


async def settle_billing(ctx: dict[str, Any]) -> dict[str, list[int]]:
    """PAST_DUE workspaces past HITFLOW_BILLING_GRACE_DAYS fall to FREE (targets paused);
    workspaces whose plan an operator set offline get their targets paused / resumed."""
    return {
        "downgraded": await service.downgrade_expired(ctx["resources"]),
        "reconciled": await service.reconcile_pending(ctx["resources"]),
    }


async def cancel_subscription_for_deletion(ctx: dict[str, Any], *, workspace_id: int) -> bool:
    """Cancel the workspace's provider subscription now; retried with backoff on failure."""
    try:
        return await checkout.cancel_for_deletion(ctx["resources"], workspace_id)
    except ProviderError as exc:
        tries = int(ctx.get("job_try", 1))
        log.warning("billing_cancel_failed", workspace_id=workspace_id, tries=tries, error=str(exc))
        raise Retry(defer=min(60 * 2**tries, 6 * 3600)) from None
