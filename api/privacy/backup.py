"""Encrypted backups and restore.

- SQLite: a consistent copy through the online backup API (sqlite3.Connection.backup);
  restore copies the pages back into the live database the same way.
- PostgreSQL: `pg_dump --format=custom`; restore with `pg_restore --clean --if-exists`.

The dump is sealed in chunks of 1 MiB with AES-GCM (the key ring's newest key); each
chunk's associated data binds its index and whether it is the last, so chunks cannot
be reordered, dropped or truncated unnoticed. Files are 0600, with a `.sha256` beside
them, and pruned after `backup_retention_days` (grace + retention <= 30 days, checked
at start-up in settings). After a restore the deletion ledger is re-applied.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from api.core import clock
from api.core.crypto import DecryptionError, KeyRing
from api.core.logging import get_logger
from api.settings import Settings

log = get_logger(__name__)

MAGIC = b"HFBK1\n"
CHUNK = 1 << 20
NAME = re.compile(r"^hitflow-(\d{8}T\d{6}Z)-[0-9a-f]{6}\.hfbk$")
PG_DUMP = "/usr/bin/pg_dump"
PG_RESTORE = "/usr/bin/pg_restore"


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
        result = subprocess.run(  # noqa: S603 - fixed binary, no shell
            [
                PG_RESTORE,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                dsn,
                str(plain),
            ],
            env=env,
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.decode(errors='replace')[-500:]}")
    log.info("backup_restored", file=blob.name)


async def restore_with_ledger(settings: Settings, keyring: KeyRing, blob: Path) -> list[int]:
    """Restore a backup, then purge again every account deleted since (or before) it.

    The ledger is read from the current database AND the file copy before the restore
    replaces the database, so the restore cannot bring a deleted account back.
    """
    import anyio

    from api.privacy.models import DeletionLedger
    from api.privacy.purge import reapply_ledger

    known = {row.user_id: row.purged_at.isoformat() for row in await DeletionLedger.all()}
    await anyio.to_thread.run_sync(restore_database, settings, keyring, blob)
    again = await reapply_ledger(settings, extra=known)
    log.info("ledger_reapplied", users=len(again))
    return again
