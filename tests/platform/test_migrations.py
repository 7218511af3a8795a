"""The versioned migrations build the schema the models describe (no drift).

Applied to an empty SQLite file, and to a fresh PostgreSQL database when
HITFLOW_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from api.db import MODEL_MODULES, migrate, tortoise_config
from api.settings import Settings
from tests.conftest import TEST_DATABASE_URL, TEST_KEY

FIX = "HITFLOW_TORTOISE_CLI=1 tortoise -c api.db.TORTOISE_ORM makemigrations"


@pytest.fixture
async def empty_database(tmp_path) -> AsyncIterator[str]:
    if not TEST_DATABASE_URL:
        yield f"sqlite://{tmp_path}/migrated.sqlite3"
        return
    admin_url = TEST_DATABASE_URL.replace("postgres://", "postgresql://")
    name = f"hfm_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(TEST_DATABASE_URL.replace("postgresql://", "postgres://"))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def test_migrations_apply_to_an_empty_database_and_match_the_models(
    empty_database: str, tmp_path
) -> None:
    settings = Settings(database_url=empty_database, data_dir=tmp_path, secret_keys=[TEST_KEY])
    await migrate(settings)
    await migrate(settings)  # idempotent: a second run (every `hitflow up`) changes nothing

    config = tortoise_config(empty_database)
    async with tortoise_cli_context(config) as ctx:
        apps = {label: dict(app) for label, app in config["apps"].items()}
        writers = await MigrationAutodetector(ctx.apps, apps).changes()
        tables = await _tables(ctx, empty_database)
        expected = {
            model._meta.db_table
            for app in ctx.apps.values()
            for model in app.values()
            if model.__module__ in MODEL_MODULES
        }
    pending = [op.describe() for writer in writers for op in writer.operations]
    assert not pending, (
        f"the models changed without a migration ({'; '.join(pending)}); generate one with:\n"
        f"  {FIX}\n(before the first release, delete api/migrations/0001_initial.py first and "
        "regenerate it whole: Tortoise 1.1 cannot drop a unique_together on SQLite)"
    )
    assert expected <= tables, f"tables missing after migrate: {sorted(expected - tables)}"


async def _tables(ctx, url: str) -> set[str]:
    conn = ctx.connections.get("default")
    if url.startswith("sqlite"):
        rows = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type='table'")
    else:
        rows = await conn.execute_query_dict(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    return {row["name"] for row in rows}
