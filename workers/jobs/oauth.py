"""Cron job: delete OAuth consents, codes and tokens that can no longer be used."""

from __future__ import annotations

from typing import Any

from api.oauth.service import purge_expired


async def purge_expired_oauth(ctx: dict[str, Any]) -> int:
    """Idempotent: deletes only rows expired for more than a day."""
    return await purge_expired()
