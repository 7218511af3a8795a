"""`hitflow backup` and `hitflow restore FILE`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


def backup() -> None:
    """Make an encrypted backup now (0600, with a .sha256) and prune expired ones."""
    from api.cli import _settings
    from api.core.crypto import KeyRing
    from api.privacy.backup import BackupError, create_backup, prune_backups

    settings = _settings()
    try:
        path = create_backup(settings, KeyRing(settings.key_ring_keys))
    except BackupError as exc:
        typer.echo(f"hitflow: {exc}", err=True)
        raise typer.Exit(1) from None
    prune_backups(settings)
    typer.echo(str(path))


def restore(
    file: Annotated[Path, typer.Argument(help="A .hfbk file made by `hitflow backup`.")],
) -> None:
    """Restore a backup, then re-apply the deletion ledger (deleted accounts stay deleted)."""
    from api.cli import _settings
    from api.core.crypto import KeyRing
    from api.db import close_db, init_db
    from api.privacy.backup import BackupError, restore_with_ledger

    settings = _settings()
    if not file.is_file():
        typer.echo(f"hitflow: no such backup file: {file}", err=True)
        raise typer.Exit(2)

    async def main() -> list[int]:
        await init_db(settings)
        try:
            return await restore_with_ledger(settings, KeyRing(settings.key_ring_keys), file)
        finally:
            await close_db()

    try:
        again = asyncio.run(main())
    except BackupError as exc:
        typer.echo(f"hitflow: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {file.name}; deletion ledger re-applied ({len(again)} account(s))")
