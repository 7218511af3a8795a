"""The deletion ledger: which accounts were confirmed for deletion (and their promised
purge date) and which were purged. A restore re-applies it, so it never brings a deleted
account back (api.privacy.backup).

It is kept twice: in the database (DeletionLedger, one row per account) and in
`{data_dir}/deletion-ledger.jsonl`, a copy outside the database that a restore cannot
roll back. Both hold an account id and dates, nothing else. Recording is idempotent:
a date already recorded is kept (the original one), and the file gets no duplicate line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from api.core.logging import get_logger
from api.privacy.models import DeletionLedger
from api.settings import Settings

log = get_logger(__name__)


@dataclass
class LedgerEntry:
    scheduled_for: datetime | None = None
    purged_at: datetime | None = None

    def merge(self, other: LedgerEntry) -> None:
        """Keep the earliest of two records of the same date (the original one)."""
        self.scheduled_for = _earliest(self.scheduled_for, other.scheduled_for)
        self.purged_at = _earliest(self.purged_at, other.purged_at)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return min(a, b)


def ledger_path(settings: Settings) -> Path:
    """A copy of the ledger outside the database, so a restore cannot roll it back."""
    return settings.data_dir / "deletion-ledger.jsonl"


def read_ledger_file(settings: Settings) -> dict[int, LedgerEntry]:
    path = ledger_path(settings)
    if not path.exists():
        return {}
    entries: dict[int, LedgerEntry] = {}
    for line in path.read_text().splitlines():
        try:
            item = json.loads(line)
            found = LedgerEntry(
                scheduled_for=_date(item.get("scheduledFor")), purged_at=_date(item.get("purgedAt"))
            )
            entries.setdefault(int(item["userId"]), LedgerEntry()).merge(found)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a torn last line after a crash: the DB ledger still has it
    return entries


def _date(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def append_ledger_file(
    settings: Settings,
    user_id: int,
    *,
    scheduled_for: datetime | None = None,
    purged_at: datetime | None = None,
) -> None:
    """Append what the file does not hold yet for this account (nothing when it does)."""
    known = read_ledger_file(settings).get(user_id, LedgerEntry())
    item: dict[str, object] = {"userId": user_id}
    if scheduled_for is not None and known.scheduled_for is None:
        item["scheduledFor"] = scheduled_for.isoformat()
    if purged_at is not None and known.purged_at is None:
        item["purgedAt"] = purged_at.isoformat()
    if len(item) == 1:
        return
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(json.dumps(item) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


async def record(
    settings: Settings,
    user_id: int,
    *,
    scheduled_for: datetime | None = None,
    purged_at: datetime | None = None,
) -> LedgerEntry:
    """Record dates for an account in the database and the file; returns the entry as
    stored (dates recorded earlier win)."""
    entry = await record_in_database(user_id, scheduled_for=scheduled_for, purged_at=purged_at)
    append_ledger_file(
        settings, user_id, scheduled_for=entry.scheduled_for, purged_at=entry.purged_at
    )
    return entry


async def record_in_database(
    user_id: int, *, scheduled_for: datetime | None = None, purged_at: datetime | None = None
) -> LedgerEntry:
    """The database half of `record` (callers inside a transaction write the file after
    the commit)."""
    row, created = await DeletionLedger.get_or_create(
        user_id=user_id, defaults={"scheduled_for": scheduled_for, "purged_at": purged_at}
    )
    if not created:
        changes: dict[str, datetime] = {}
        if scheduled_for is not None and row.scheduled_for is None:
            changes["scheduled_for"] = row.scheduled_for = scheduled_for
        if purged_at is not None and row.purged_at is None:
            changes["purged_at"] = row.purged_at = purged_at
        if changes:
            await DeletionLedger.filter(id=row.id).update(**changes)
    return LedgerEntry(scheduled_for=row.scheduled_for, purged_at=row.purged_at)


async def record_pending_deletion(
    settings: Settings, user_id: int, scheduled_for: datetime
) -> None:
    await record(settings, user_id, scheduled_for=scheduled_for)


async def record_purge(settings: Settings, user_id: int, purged_at: datetime) -> None:
    await record(settings, user_id, purged_at=purged_at)


async def database_entries() -> dict[int, LedgerEntry]:
    """The ledger as the database holds it now (read before a restore replaces it)."""
    from api.accounts.models import User

    entries = {
        row.user_id: LedgerEntry(scheduled_for=row.scheduled_for, purged_at=row.purged_at)
        for row in await DeletionLedger.all()
    }
    # Deletions confirmed before the ledger recorded them: the account row says so.
    pending = await User.filter(is_active=False, deletion_scheduled_for__not_isnull=True)
    for user in pending:
        entries.setdefault(user.id, LedgerEntry()).merge(
            LedgerEntry(scheduled_for=user.deletion_scheduled_for)
        )
    return entries
