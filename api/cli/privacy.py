"""`hitflow backup`, `hitflow restore FILE` and `hitflow purge`: backups and deletions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import options
from api.cli.options import USAGE, fail

if TYPE_CHECKING:
    from api.settings import Settings

RESTORE_HELP = (
    "Restore a backup, then re-apply the deletion ledger (deleted accounts stay deleted, "
    "pending deletions stay locked with their original date).\n\n"
    "Stop the service first: every `hitflow up`, `hitflow api`, `hitflow worker` and "
    "`hitflow probe` process. The restore replaces the whole database under them, and "
    "until the ledger is re-applied the restored data still holds the deleted accounts. "
    "Start them again afterwards (the scheduler rebuilds its queue from the database)."
)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore", help=RESTORE_HELP)(restore)
    app.command("purge")(purge)


def backup() -> None:
    """Make an encrypted backup now (0600, with a .sha256) and prune expired ones."""
    from api.core.crypto import KeyRing
    from api.privacy.backup import BackupError, create_backup, prune_backups

    settings = options.settings()
    try:
        path = create_backup(settings, KeyRing(settings.key_ring_keys))
    except BackupError as exc:
        fail(str(exc))
    prune_backups(settings)
    typer.echo(str(path))


def restore(
    file: Annotated[Path, typer.Argument(help="A .hfbk file made by `hitflow backup`.")],
) -> None:
    from api.core.crypto import KeyRing
    from api.db import close_db, init_db
    from api.privacy.backup import BackupError, Reapplied, restore_with_ledger
    from api.redis import connect

    settings = options.settings()
    if not file.is_file():
        fail(f"no such backup file: {file}", USAGE)

    async def main() -> Reapplied:
        # A shared Redis (HITFLOW_REDIS_URL) is told too; the embedded one lives and dies
        # with `hitflow up`, so there is nothing to tell when it is unset.
        redis = await connect(settings.redis_url) if settings.redis_url else None
        await init_db(settings)
        try:
            keyring = KeyRing(settings.key_ring_keys)
            return await restore_with_ledger(settings, keyring, file, redis)
        finally:
            await close_db()
            if redis is not None:
                await redis.aclose()

    try:
        done = asyncio.run(main())
    except BackupError as exc:
        fail(str(exc))
    typer.echo(
        f"restored {file.name}; deletion ledger re-applied: {len(done.purged)} account(s) "
        f"purged, {len(done.locked)} pending deletion(s) locked"
    )


def purge(
    user: Annotated[
        str | None,
        typer.Option(help="E-mail or id of one account confirmed for deletion."),
    ] = None,
    now: Annotated[
        bool, typer.Option("--now", help="With --user: purge it now, before its date.")
    ] = False,
) -> None:
    """Purge now every account whose deletion grace period is over (what the daily job
    does), or one account with --user (--now: without waiting for its date). Accounts
    not confirmed for deletion, and accounts under legal hold, are refused."""
    from api.db import close_db, init_db
    from api.privacy.purge import purge_due_accounts

    settings = options.settings()
    if now and user is None:
        fail("--now needs --user EMAIL_OR_ID", USAGE)

    async def main() -> str:
        await init_db(settings)
        try:
            if user is None:
                purged = await purge_due_accounts(settings)
                return f"purged {purged['accounts']} account(s) whose grace period is over"
            return f"purged account {await _purge_one(settings, user, now=now)}"
        finally:
            await close_db()

    typer.echo(asyncio.run(main()))


async def _purge_one(settings: Settings, ref: str, *, now: bool) -> int:
    """Purge one account confirmed for deletion; returns its id (exits 1 when refused)."""
    from api.accounts.models import User
    from api.core import clock
    from api.privacy.purge import purge_account

    ref = ref.strip()
    if ref.isdigit():
        found = await User.get_or_none(id=int(ref)) if int(ref) < 2**31 else None
    else:
        found = await User.get_or_none(email=ref.lower())
    if found is None:
        fail(f"no such account: {ref}")
    if found.is_active or found.deletion_scheduled_for is None:
        fail(f"account {found.id} is not confirmed for deletion; nothing purged")
    if found.legal_hold:
        fail(f"account {found.id} is under legal hold; nothing purged")
    if not now and found.deletion_scheduled_for > clock.now():
        fail(
            f"account {found.id} is due on {found.deletion_scheduled_for.isoformat()}; "
            "add --now to purge it before"
        )
    await purge_account(settings, found.id)
    return found.id
