"""A scratch PostgreSQL database for one bench run, created and dropped beside the one
named in the server URL (bench/checks.py, bench/ingest.py)."""

from __future__ import annotations

import asyncio
import uuid


def _admin(postgres_url: str) -> str:
    return postgres_url.replace("postgres://", "postgresql://")


async def _execute(postgres_url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin(postgres_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(postgres_url: str, prefix: str) -> tuple[str, str]:
    """Create `<prefix>_<random>`: its URL and its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_execute(postgres_url, f'CREATE DATABASE "{name}"'))
    return postgres_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(postgres_url: str, name: str) -> None:
    asyncio.run(_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
