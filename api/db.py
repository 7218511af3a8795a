"""Tortoise configuration: one app, `models`, gathering every domain's model module.

Shared by the API, the core worker and the migrations.
"""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

from api.settings import Settings, load_settings

# Every domain's models module. A domain adds its line here.
MODEL_MODULES: list[str] = [
    "api.accounts.models",
    "api.workspaces.models",
    "api.targets.models",
    "api.incidents.models",
    "api.notifications.models",
    "api.maintenance.models",
    "api.privacy.models",
    "api.oauth.models",
    "api.billing.models",
    "api.badges.models",
    "api.statuspages.models",
    "api.statuspages.subscriber_models",
    "api.results.models",
]


# Session settings of every PostgreSQL connection the application opens. JIT off: the
# report queries (aggregates over ~100k rollup rows) have estimated costs above
# jit_above_cost, and compiling them cost 50-110 ms per statement for a few ms saved
# (docs/sla-reports.md, "Performance"); OLTP statements never reach the threshold.
POSTGRES_SERVER_SETTINGS = {"jit": "off"}


def connection_config(db_url: str) -> str | dict[str, Any]:
    """Tortoise's connection entry for `db_url`: PostgreSQL (asyncpg) URLs get the session
    settings above; other URLs are kept as they are."""
    info = expand_db_url(db_url)
    if info["engine"] != "tortoise.backends.asyncpg":
        return db_url
    info["credentials"]["server_settings"] = dict(POSTGRES_SERVER_SETTINGS)
    return info


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(db_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "api.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _config_from_env() -> dict[str, Any]:
    return tortoise_config(load_settings().effective_database_url)


# For the `tortoise` CLI: `tortoise -c api.db.TORTOISE_ORM makemigrations` (reads HITFLOW_*).
TORTOISE_ORM = _config_from_env() if os.environ.get("HITFLOW_TORTOISE_CLI") else {}


async def migrate(settings: Settings) -> None:
    """Apply every pending migration (idempotent)."""
    if settings.effective_database_url.startswith("sqlite://"):
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    await run_migrations(config=tortoise_config(settings.effective_database_url))
    await Tortoise.close_connections()
    if not settings.effective_database_url.startswith("sqlite://"):
        from api.core import clock
        from api.results.partitions import ensure_partitions

        await init_db(settings)
        try:
            await ensure_partitions(
                clock.now(), settings.results_partition_days, settings.results_partitions_ahead
            )
        finally:
            await Tortoise.close_connections()


async def init_db(settings: Settings) -> None:
    """Open the ORM for this process (global fallback: uvicorn and arq run in other tasks)."""
    await Tortoise.init(
        config=tortoise_config(settings.effective_database_url), _enable_global_fallback=True
    )


async def close_db() -> None:
    await Tortoise.close_connections()
