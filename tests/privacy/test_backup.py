"""Backups are encrypted (no plaintext, another key cannot open them), 0600, with a
checksum, pruned after their retention; a restore never brings a purged account back."""

from __future__ import annotations

import base64
import os
import stat
from datetime import timedelta
from pathlib import Path

import anyio
import pytest

from api.accounts.models import User
from api.core import clock
from api.core.crypto import KeyRing
from api.privacy.backup import (
    BackupError,
    create_backup,
    open_backup,
    prune_backups,
    restore_with_ledger,
)
from api.privacy.purge import purge_account
from api.targets.models import Target, TargetStatus
from api.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.privacy.helpers import database_settings, run_cli


@pytest.fixture
def settings(tmp_path, smtp, database_url):  # type: ignore[no-untyped-def]
    # Backups read the database the settings name: point them at this test's database.
    return database_settings(tmp_path, smtp, database_url)


async def backup(resources) -> Path:  # type: ignore[no-untyped-def]
    return await anyio.to_thread.run_sync(create_backup, resources.settings, resources.keyring)


async def test_backup_is_encrypted_private_and_checksummed(settings, resources) -> None:
    ada = await create_account(settings, email="ada.backup@example.test")
    await create_target(ada.workspace, name="Very Recognisable Site", status=TargetStatus.UP)
    path = await backup(resources)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert b"ada.backup@example.test" not in data
    assert b"Very Recognisable Site" not in data
    sums = path.with_name(path.name + ".sha256")
    assert stat.S_IMODE(sums.stat().st_mode) == 0o600
    import hashlib

    assert sums.read_text().split()[0] == hashlib.sha256(data).hexdigest()
    # The right key opens it; another key does not
    plain = path.parent / "plain.out"
    open_backup(resources.keyring, path, plain)
    assert plain.stat().st_size > 0
    other = KeyRing([base64.urlsafe_b64decode(base64.urlsafe_b64encode(os.urandom(32)))])
    with pytest.raises(BackupError, match="cannot be decrypted"):
        open_backup(other, path, path.parent / "plain2.out")
    # A truncated file is refused, not half-restored
    cut = path.parent / "cut.hfbk"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError):
        open_backup(resources.keyring, cut, path.parent / "plain3.out")


async def test_restore_does_not_bring_a_purged_account_back(settings, resources) -> None:
    # Given a backup holding two accounts
    ada = await create_account(settings, email="ada@example.test")
    bob = await create_account(settings, email="bob@example.test")
    await create_target(ada.workspace, name="Ada site", status=TargetStatus.UP)
    await create_target(bob.workspace, name="Bob site", status=TargetStatus.UP)
    path = await backup(resources)
    # When Ada is deleted and purged, Bob changes something, and the backup is restored
    await User.filter(id=ada.user.id).update(is_active=False)
    assert await purge_account(settings, ada.user.id) is not None
    await create_target(bob.workspace, name="Bob site after backup", status=TargetStatus.UP)
    again = await restore_with_ledger(settings, resources.keyring, path)

    # Then the restore went back in time for Bob, but Ada is still gone
    assert again.purged == [ada.user.id] and again.locked == []
    assert not await User.filter(id=ada.user.id).exists()
    assert not await Workspace.filter(id=ada.workspace.id).exists()
    assert not await Target.filter(name="Ada site").exists()
    assert await Target.filter(name="Bob site").exists()
    assert not await Target.filter(name="Bob site after backup").exists()
    from api.privacy.models import DeletionLedger

    assert await DeletionLedger.filter(user_id=ada.user.id).exists()


async def test_the_ledger_file_survives_a_lost_database_ledger(settings, resources) -> None:
    # The ledger row is lost with the restored database; the file copy still re-applies it
    ada = await create_account(settings)
    path = await backup(resources)
    await User.filter(id=ada.user.id).update(is_active=False)
    await purge_account(settings, ada.user.id)
    from api.privacy.models import DeletionLedger

    await DeletionLedger.all().delete()
    await restore_with_ledger(settings, resources.keyring, path)
    assert not await User.filter(id=ada.user.id).exists()


async def test_old_backups_are_pruned(settings, resources) -> None:
    first = await backup(resources)
    clock.advance(timedelta(days=settings.backup_retention_days, hours=1))
    second = await backup(resources)
    removed = prune_backups(settings)
    assert removed == [first.name]
    assert not first.exists() and not first.with_name(first.name + ".sha256").exists()
    assert second.exists()


@pytest.mark.slow
async def test_backup_and_restore_commands(settings, resources) -> None:
    # `hitflow backup` then `hitflow restore FILE`, as an operator runs them
    ada = await create_account(settings, email="ada.cli@example.test")
    bob = await create_account(settings, email="bob.cli@example.test")

    made = await run_cli(settings, "backup")
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.strip().splitlines()[-1])
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600

    await User.filter(id=ada.user.id).update(is_active=False)
    await purge_account(settings, ada.user.id)
    await User.filter(id=bob.user.id).update(display_name="changed after the backup")

    restored = await run_cli(settings, "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert "1 account(s) purged, 0 pending deletion(s) locked" in restored.stdout
    assert not await User.filter(id=ada.user.id).exists()
    assert (await User.get(id=bob.user.id)).display_name is None

    missing = await run_cli(settings, "restore", str(path) + ".nope")
    assert missing.returncode == 2 and "no such backup file" in missing.stderr
    # The help tells the operator to stop the service first
    helped = await run_cli(settings, "restore", "--help")
    assert helped.returncode == 0 and "Stop the service first" in helped.stdout
