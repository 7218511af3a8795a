"""Cron job: delete OAuth consents, codes and tokens that can no longer be used."""

from __future__ import annotations

from typing import Any

from api.metrics.own import lifecycle_run
from api.oauth.service import purge_expired


async def purge_expired_oauth(ctx: dict[str, Any]) -> int:
    """Idempotent: deletes only rows expired for more than a day."""
    with lifecycle_run("purge_oauth") as record:
        deleted = await purge_expired()
        record(deleted)
    return deleted
