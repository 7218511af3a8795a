"""Daily purge of accounts whose deletion grace period is over (api.privacy.purge)."""

from __future__ import annotations

from typing import Any

from api.privacy.purge import purge_account, purge_due_accounts


async def purge_deleted_accounts(ctx: dict[str, Any]) -> dict[str, int]:
    return await purge_due_accounts(ctx["resources"].settings)


async def purge_user(ctx: dict[str, Any], *, user_id: int) -> dict[str, int] | None:
    """Purge one account now (operators; the hold is still respected)."""
    return await purge_account(ctx["resources"].settings, user_id)
