"""Daily retention: delete monitoring rows past their period (api.privacy.retention)."""

from __future__ import annotations

from typing import Any

from api.metrics.own import lifecycle_run
from api.privacy.retention import run_retention


async def apply_retention(ctx: dict[str, Any]) -> dict[str, int]:
    with lifecycle_run("retention") as record:
        deleted = await run_retention(ctx["resources"].settings)
        record(sum(deleted.values()))
    return deleted
