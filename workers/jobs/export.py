"""Data exports: build one (enqueued by requestDataExport), expire old ones (cron)."""

from __future__ import annotations

from typing import Any

from api.metrics.own import lifecycle_run
from api.privacy.export import build_export, expire_exports


async def build_data_export(ctx: dict[str, Any], *, export_id: int) -> str:
    return await build_export(ctx["resources"], export_id)


async def expire_data_exports(ctx: dict[str, Any]) -> int:
    with lifecycle_run("expire_exports") as record:
        expired = await expire_exports(ctx["resources"])
        record(expired)
    return expired
