"""Encrypted backups and restore.

- SQLite: a consistent copy through the online backup API (sqlite3.Connection.backup);
  restore copies the pages back into the live database the same way.
- PostgreSQL: `pg_dump --format=custom`; restore with `pg_restore --clean --if-exists`.

The dump is sealed in chunks of 1 MiB with AES-GCM (the key ring's newest key); each
chunk's associated data binds its index and whether it is the last, so chunks cannot
be reordered, dropped or truncated unnoticed. Files are 0600, with a `.sha256` beside
them, and pruned after `backup_retention_days` (grace + retention <= 30 days, checked
at start-up in settings). After a restore the deletion ledger (api.privacy.ledger) is
re-applied: purged accounts are purged again, pending deletions locked again.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from arq.connections import ArqRedis
from tortoise.exceptions import DBConnectionError, OperationalError

from api.core import clock
from api.core.crypto import DecryptionError, KeyRing
from api.core.logging import get_logger
from api.privacy import ledger
from api.privacy.ledger import LedgerEntry, read_ledger_file
from api.settings import Settings

log = get_logger(__name__)

MAGIC = b"HFBK1\n"
CHUNK = 1 << 20
NAME = re.compile(r"^hitflow-(\d{8}T\d{6}Z)-[0-9a-f]{6}\.hfbk$")
PG_DUMP = "/usr/bin/pg_dump"
PG_RESTORE = "/usr/bin/pg_restore"
PSQL = "/usr/bin/psql"


class BackupError(RuntimeError):
    """A backup could not be made, read or restored (the message says why)."""


def _aad(index: int, last: bool) -> bytes:
    return b"hitflow-backup:%d:%d" % (index, int(last))


def _sqlite_path(url: str) -> Path:
    raw = url.split("://", 1)[1].split("?", 1)[0]
    return Path(raw)


def _pg_env(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the password in PGPASSWORD (never in argv)."""
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    netloc = parts.hostname or "localhost"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return parts._replace(netloc=netloc, query="").geturl(), env


def _dump_to(settings: Settings, plain: Path) -> None:
    url = settings.effective_database_url
    if url.startswith("sqlite://"):
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(plain)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    dsn, env = _pg_env(url)
    result = subprocess.run(  # noqa: S603 - fixed binary, no shell
        [PG_DUMP, "--format=custom", "--no-owner", "--file", str(plain), dsn],
        env=env,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.decode(errors='replace')[-500:]}")


def _seal(keyring: KeyRing, plain: Path, out: Path) -> str:
    """Encrypt `plain` into `out` (0600), chunk by chunk; return the file's SHA-256."""
    digest = hashlib.sha256()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as sink, plain.open("rb") as source:

        def write(data: bytes) -> None:
            sink.write(data)
            digest.update(data)

        write(MAGIC)
        index = 0
        chunk = source.read(CHUNK)
        while True:
            following = source.read(CHUNK)
            last = not following
            sealed = keyring.encrypt_bytes(chunk, aad=_aad(index, last))
            write(len(sealed).to_bytes(4, "big") + sealed)
            if last:
                break
            chunk, index = following, index + 1
    return digest.hexdigest()


def _frames(blob: Path) -> Iterator[tuple[int, bytes]]:
    with blob.open("rb") as source:
        if source.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{blob.name} is not a Hitflow backup")
        index = 0
        while True:
            head = source.read(4)
            if not head:
                return
            size = int.from_bytes(head, "big")
            data = source.read(size)
            if len(data) != size:
                raise BackupError(f"{blob.name} is truncated")
            yield index, data
            index += 1


def open_backup(keyring: KeyRing, blob: Path, plain: Path) -> None:
    """Decrypt a backup into `plain` (0600); BackupError for a wrong key or damage."""
    fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    ended = False
    with os.fdopen(fd, "wb") as sink:
        for index, sealed in _frames(blob):
            if ended:
                raise BackupError(f"{blob.name} has data after its last chunk")
            try:
                sink.write(keyring.decrypt_bytes(sealed, aad=_aad(index, False)))
                continue
            except DecryptionError:
                pass
            try:
                sink.write(keyring.decrypt_bytes(sealed, aad=_aad(index, True)))
                ended = True
            except DecryptionError as exc:
                raise BackupError(
                    f"{blob.name} cannot be decrypted with this key ring (wrong key or altered)"
                ) from exc
    if not ended:
        raise BackupError(f"{blob.name} is truncated (no last chunk)")


def verify_checksum(blob: Path) -> None:
    sums = blob.with_name(blob.name + ".sha256")
    if not sums.exists():
        return
    expected = sums.read_text().split()[0]
    digest = hashlib.sha256()
    with blob.open("rb") as source:
        for block in iter(lambda: source.read(CHUNK), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise BackupError(f"{blob.name} does not match its checksum")


def create_backup(settings: Settings, keyring: KeyRing) -> Path:
    """Make one encrypted backup now; returns its path. Blocking: run in a thread."""
    folder = settings.effective_backup_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = folder / f"hitflow-{stamp}-{os.urandom(3).hex()}.hfbk"
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        plain = Path(tmp) / "dump"
        _dump_to(settings, plain)
        checksum = _seal(keyring, plain, out)
    sums = out.with_name(out.name + ".sha256")
    fd = os.open(sums, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{checksum}  {out.name}\n")
    log.info("backup_created", file=out.name, bytes=out.stat().st_size)
    return out


def prune_backups(settings: Settings) -> list[str]:
    """Delete backups older than the retention period (by the time in their name)."""
    folder = settings.effective_backup_dir
    if not folder.exists():
        return []
    cutoff = clock.now() - timedelta(days=settings.backup_retention_days)
    removed = []
    for path in sorted(folder.iterdir()):
        match = NAME.match(path.name)
        if not match:
            continue
        made = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if made < cutoff:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".sha256").unlink(missing_ok=True)
            removed.append(path.name)
    if removed:
        log.info("backups_pruned", files=removed)
    return removed


def restore_database(settings: Settings, keyring: KeyRing, blob: Path) -> None:
    """Replace the database content with the backup's. Blocking: run in a thread.

    The caller re-applies the deletion ledger afterwards (api.privacy.purge).
    """
    verify_checksum(blob)
    url = settings.effective_database_url
    with tempfile.TemporaryDirectory(dir=blob.parent) as tmp:
        plain = Path(tmp) / "dump"
        open_backup(keyring, blob, plain)
        if url.startswith("sqlite://"):
            source = sqlite3.connect(plain)
            target = sqlite3.connect(_sqlite_path(url), timeout=30)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            return
        dsn, env = _pg_env(url)
        # pg_restore --clean alone fails on a partitioned table (it drops the constraints
        # a partition inherits, one by one, which PostgreSQL refuses): the script it
        # writes runs in psql, in ONE transaction, after dropping check_results and its
        # partitions whole (api/results/partitions.py); the script then recreates them.
        script = Path(tmp) / "restore.sql"
        steps = [
            [PG_RESTORE, "--clean", "--if-exists", "--no-owner", "--file", str(script), str(plain)],
            [
                PSQL,
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                "--dbname",
                dsn,
                "--command",
                "DROP TABLE IF EXISTS public.check_results CASCADE",
                "--file",
                str(script),
            ],
        ]
        for step in steps:
            result = subprocess.run(step, env=env, capture_output=True, check=False)  # noqa: S603 - fixed binaries, no shell
            if result.returncode != 0:
                raise BackupError(
                    f"{Path(step[0]).name} failed: {result.stderr.decode(errors='replace')[-500:]}"
                )
    log.info("backup_restored", file=blob.name)


@dataclass
class Reapplied:
    """What re-applying the deletion ledger after a restore did, by account id."""

    purged: list[int] = field(default_factory=list)  # purged (again) now
    locked: list[int] = field(default_factory=list)  # deletion pending: locked, date kept


async def reapply_ledger(
    settings: Settings,
    redis: ArqRedis | None = None,
    extra: dict[int, LedgerEntry] | None = None,
) -> Reapplied:
    """After a restore, make every deletion recorded in the ledgers true again.

    Sources: the ledger file, `extra` (the database ledger read before the restore) and
    the restored database's own ledger. A purged account is purged again (even under a
    legal hold: it was already gone). A confirmed deletion whose date has passed is
    purged now (unless held); one still in its grace period is locked again with its
    original date. The entries go back into the restored database. Idempotent.
    """
    from api.accounts.models import User
    from api.privacy.deletion import lock_account
    from api.privacy.purge import purge_account

    entries = read_ledger_file(settings)
    for source in (extra or {}, await ledger.database_entries()):
        for user_id, entry in source.items():
            entries.setdefault(user_id, LedgerEntry()).merge(entry)
    done = Reapplied()
    now = clock.now()
    for user_id, entry in sorted(entries.items()):
        # Back into the database first, with the original dates (the purge keeps them).
        entry = await ledger.record(
            settings, user_id, scheduled_for=entry.scheduled_for, purged_at=entry.purged_at
        )
        user = await User.get_or_none(id=user_id)
        if user is None:
            continue
        if entry.purged_at is not None:
            await purge_account(settings, user_id, ignore_hold=True)
            done.purged.append(user_id)
        elif entry.scheduled_for is not None:
            due = entry.scheduled_for <= now and not user.legal_hold
            if due and await purge_account(settings, user_id) is not None:
                done.purged.append(user_id)
            else:
                await lock_account(redis, user_id, entry.scheduled_for)
                done.locked.append(user_id)
    await reserve_user_ids(max(entries, default=0))
    return done


async def restore_with_ledger(
    settings: Settings, keyring: KeyRing, blob: Path, redis: ArqRedis | None = None
) -> Reapplied:
    """Restore a backup, then re-apply the deletion ledger: no deleted account comes back.

    The ledger is read from the current database AND the file copy before the restore
    replaces the database. Run it with the API and workers stopped: the copy replaces
    every table under them, and until the ledger is re-applied the restored data holds
    deleted accounts. `redis` (a shared one, when there is one) is told of revocations
    and unscheduled targets too.
    """
    import anyio

    try:
        known = await ledger.database_entries()
    except (OperationalError, DBConnectionError) as exc:  # e.g. restoring into an empty DB
        log.warning("ledger_unreadable_before_restore", error=str(exc)[:200])
        known = {}
    await anyio.to_thread.run_sync(restore_database, settings, keyring, blob)
    done = await reapply_ledger(settings, redis, extra=known)
    log.info("ledger_reapplied", purged=len(done.purged), locked=len(done.locked))
    return done


async def reserve_user_ids(highest: int) -> None:
    """Make new accounts get ids above every id the ledger names.

    The restored id counter predates accounts made after the backup: without this, a
    new sign-up could get the id of a deleted account, and the next restore would treat
    it as deleted.
    """
    from tortoise import connections

    from api.accounts.models import User

    if highest <= 0:
        return
    table = User._meta.db_table
    conn = connections.get("default")
    if conn.capabilities.dialect == "sqlite":
        done = await conn.execute_query(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", [highest, table]
        )
        if not done[0]:
            await conn.execute_query(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", [table, highest]
            )
        return
    await conn.execute_query(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - model name
        f'GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{table}"), $1::bigint))',
        [highest],
    )
