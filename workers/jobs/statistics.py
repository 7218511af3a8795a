"""Daily anonymous usage statistics (api.privacy.statistics)."""

from __future__ import annotations

from typing import Any

from api.privacy.statistics import compute_statistics


async def compute_usage_statistics(ctx: dict[str, Any]) -> dict[str, int]:
    return await compute_statistics(ctx["resources"].settings)
