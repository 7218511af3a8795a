"""Daily purge of accounts whose deletion grace period is over (api.privacy.purge)."""

from __future__ import annotations

from typing import Any

from api.metrics.own import lifecycle_run
from api.privacy.purge import purge_account, purge_due_accounts


async def purge_deleted_accounts(ctx: dict[str, Any]) -> dict[str, int]:
    with lifecycle_run("purge_accounts") as record:
        deleted = await purge_due_accounts(ctx["resources"].settings)
        record(sum(v for k, v in deleted.items() if k != "accounts"))
    return deleted


async def purge_user(ctx: dict[str, Any], *, user_id: int) -> dict[str, int] | None:
    """Purge one account now (operators; the hold is still respected)."""
    with lifecycle_run("purge_user") as record:
        deleted = await purge_account(ctx["resources"].settings, user_id)
        record(sum(v for v in (deleted or {}).values() if isinstance(v, int)))
    return deleted
