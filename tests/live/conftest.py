"""Live-update fixtures: the uvicorn server (tests.live.server) and distinct row ids."""

from __future__ import annotations

import random
from typing import Any

import pytest_asyncio
from tortoise import connections

from tests.live.server import live, start_live  # noqa: F401 - fixtures

# Pub/sub channels are shared by every database of a Redis server: other suites running at
# the same time on the shared Redis publish events for workspace/user 1, 2, ... too. Our
# rows start at a random high id so that foreign events never match our subscribers.
_ID_TABLES = ("users", "workspaces", "targets", "incidents")


@pytest_asyncio.fixture(autouse=True)
async def _distinct_ids(db: Any) -> None:
    connection = connections.get("default")
    base = random.randint(10**6, 2 * 10**9)
    for table in _ID_TABLES:
        if connection.capabilities.dialect == "sqlite":
            await connection.execute_query(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", [table, base]
            )
        else:
            await connection.execute_query(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {base})"
            )
