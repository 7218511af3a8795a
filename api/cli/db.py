"""`hitflow migrate`: the database schema."""

from __future__ import annotations

import asyncio

import typer

from api.cli import options


def register(app: typer.Typer) -> None:
    app.command()(migrate)


def migrate() -> None:
    """Apply pending database migrations."""
    from api.db import migrate as apply_migrations

    settings = options.settings()
    asyncio.run(apply_migrations(settings))
    typer.echo("migrations applied")
