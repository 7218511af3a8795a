"""Daily encrypted backup, then pruning of backups past their retention."""

from __future__ import annotations

from typing import Any

import anyio

from api.metrics.own import lifecycle_run
from api.privacy.backup import create_backup, prune_backups


async def backup_database(ctx: dict[str, Any]) -> str:
    resources = ctx["resources"]
    with lifecycle_run("backup"):
        path = await anyio.to_thread.run_sync(create_backup, resources.settings, resources.keyring)
        await anyio.to_thread.run_sync(prune_backups, resources.settings)
    return path.name
