"""Cron job: hourly and daily rollups of check results (api.results.rollups)."""

from __future__ import annotations

from typing import Any

from api.results.rollups import rollup_pending


async def rollup_results(ctx: dict[str, Any]) -> int:
    """Roll up every complete hour not yet rolled up; idempotent, safe to re-run."""
    return await rollup_pending(redis=ctx["resources"].redis)
