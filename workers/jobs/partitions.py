"""Hourly: the partitions of check_results for now and the next spans (PostgreSQL)."""

from __future__ import annotations

from typing import Any

from api.core import clock
from api.results.partitions import ensure_partitions


async def ensure_result_partitions(ctx: dict[str, Any]) -> list[str]:
    settings = ctx["resources"].settings
    return await ensure_partitions(
        clock.now(), settings.results_partition_days, settings.results_partitions_ahead
    )
