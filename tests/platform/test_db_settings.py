"""The application's PostgreSQL connections run with JIT off (api/db.py): compiling the
SLA report's aggregates cost more than it saved."""

from __future__ import annotations

import pytest
from tortoise.cli.cli import tortoise_cli_context

from api.db import tortoise_config
from tests.platform import test_migrations

empty_database = test_migrations.empty_database  # a fresh database (SQLite or PostgreSQL)


async def test_postgres_connections_run_without_jit(empty_database: str) -> None:
    if not empty_database.startswith("postgres"):
        assert tortoise_config(empty_database)["connections"]["default"] == empty_database
        pytest.skip("PostgreSQL only (set HITFLOW_TEST_DATABASE_URL)")
    async with tortoise_cli_context(tortoise_config(empty_database)) as ctx:
        conn = ctx.connections.get("default")
        rows = await conn.execute_query_dict("SELECT current_setting('jit') AS jit")
    assert rows == [{"jit": "off"}]
