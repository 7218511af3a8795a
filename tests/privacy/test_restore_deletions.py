"""A restore never revives a deleted account: a deletion confirmed after the backup (not
purged yet) stays locked with its original purge date, or is purged at once when that
date has passed; re-applying the ledger twice changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import anyio
import pytest

from api.accounts.models import User
from api.core import clock
from api.privacy.backup import create_backup, restore_with_ledger
from api.privacy.ledger import ledger_path
from api.privacy.models import DeletionLedger
from api.privacy.purge import purge_account
from api.targets.models import Target, TargetStatus
from api.workspaces.models import Workspace
from tests.factories.accounts import PASSWORD, create_account, create_pat
from tests.factories.targets import create_target
from tests.privacy.helpers import confirm_deletion, database_settings
from workers.jobs.purge import purge_deleted_accounts

LOG_IN = """mutation($e: String!, $p: String!) {
  logIn(email: $e, password: $p) { token errors { code } } }"""
VIEWER = "{ viewer { user { email deletionScheduledFor } } }"


@pytest.fixture
def settings(tmp_path, smtp, database_url):  # type: ignore[no-untyped-def]
    return database_settings(tmp_path, smtp, database_url)


async def backup(resources) -> Path:  # type: ignore[no-untyped-def]
    return await anyio.to_thread.run_sync(create_backup, resources.settings, resources.keyring)


def ledger_lines(settings, user_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    lines = [json.loads(line) for line in ledger_path(settings).read_text().splitlines()]
    return [line for line in lines if line["userId"] == user_id]


async def test_a_deletion_confirmed_after_the_backup_survives_the_restore(
    gql, client, settings, resources, mailbox, run_core_jobs
) -> None:
    # Given a backup taken while Ada's account was active
    ada = await create_account(settings, email="ada@example.test")
    pat = await create_pat(ada.user, ["account:read"])
    site = await create_target(ada.workspace, name="Ada site", status=TargetStatus.UP)
    bob = await create_account(settings, email="bob@example.test")
    path = await backup(resources)
    # When she confirms the deletion (no purge yet) and the backup is restored an hour later
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)
    promised = (await User.get(id=ada.user.id)).deletion_scheduled_for
    clock.advance(timedelta(hours=1))
    done = await restore_with_ledger(settings, resources.keyring, path, resources.redis)

    # Then her account is locked again, not revived
    assert done.locked == [ada.user.id] and done.purged == []
    for old in (ada.token, pat):
        response = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {old}"}
        )
        assert response.status_code == 401
    result = await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD})
    assert result["data"]["logIn"] == {"token": None, "errors": [{"code": "WRONG_PASSWORD"}]}
    user = await User.get(id=ada.user.id)
    assert not user.is_active
    assert user.deletion_scheduled_for == promised  # the original date, not restore + grace
    assert (await Target.get(id=site.id)).paused
    assert (await DeletionLedger.get(user_id=ada.user.id)).scheduled_for == promised
    # Bob, who deleted nothing, still logs in
    ok = await gql(LOG_IN, {"e": "bob@example.test", "p": PASSWORD})
    assert ok["data"]["logIn"]["token"]
    assert (await gql(VIEWER, token=bob.token))["data"]["viewer"]["user"]["email"]

    # And the purge job deletes her when the promised date comes, not later
    clock.advance(promised - clock.now() - timedelta(minutes=1))
    assert (await purge_deleted_accounts({"resources": resources}))["accounts"] == 0
    clock.advance(timedelta(minutes=2))
    assert (await purge_deleted_accounts({"resources": resources}))["accounts"] == 1
    assert not await User.filter(id=ada.user.id).exists()
    assert not await Workspace.filter(id=ada.workspace.id).exists()


async def test_a_pending_deletion_past_its_date_is_purged_by_the_restore(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    ada = await create_account(settings)
    await create_target(ada.workspace, name="Ada site", status=TargetStatus.UP)
    path = await backup(resources)
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)
    # The purge job has not run when the date passes and the backup is restored
    clock.advance(timedelta(days=settings.deletion_grace_days, minutes=1))
    done = await restore_with_ledger(settings, resources.keyring, path)
    assert done.purged == [ada.user.id] and done.locked == []
    assert not await User.filter(id=ada.user.id).exists()
    assert not await Target.filter(name="Ada site").exists()
    assert (await DeletionLedger.get(user_id=ada.user.id)).purged_at is not None


async def test_reapplying_the_ledger_twice_changes_nothing(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    # Ada is purged and Bob's deletion is pending, both after the backup
    ada = await create_account(settings)
    bob = await create_account(settings)
    path = await backup(resources)
    await User.filter(id=ada.user.id).update(is_active=False)
    await purge_account(settings, ada.user.id)
    await confirm_deletion(gql, mailbox, run_core_jobs, bob)
    purged_at = (await DeletionLedger.get(user_id=ada.user.id)).purged_at
    promised = (await DeletionLedger.get(user_id=bob.user.id)).scheduled_for
    file_before = ledger_path(settings).read_text()

    # When the backup is restored twice, hours apart
    for _ in range(2):
        clock.advance(timedelta(hours=3))
        await restore_with_ledger(settings, resources.keyring, path)

    # Then the file has no new line and both dates are the original ones
    assert ledger_path(settings).read_text() == file_before
    assert len(ledger_lines(settings, ada.user.id)) == 1
    assert len(ledger_lines(settings, bob.user.id)) == 1
    assert (await DeletionLedger.get(user_id=ada.user.id)).purged_at == purged_at
    assert (await DeletionLedger.get(user_id=bob.user.id)).scheduled_for == promised
    assert (await User.get(id=bob.user.id)).deletion_scheduled_for == promised
    assert not await User.filter(id=ada.user.id).exists()


async def test_the_file_alone_restores_a_pending_deletion(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    # The database ledger is lost too (e.g. restoring into a fresh database): the file
    # outside the database still knows the deletion and its date
    ada = await create_account(settings)
    path = await backup(resources)
    await confirm_deletion(gql, mailbox, run_core_jobs, ada)
    promised = (await User.get(id=ada.user.id)).deletion_scheduled_for
    await DeletionLedger.all().delete()
    await User.filter(id=ada.user.id).update(is_active=True, deletion_scheduled_for=None)
    done = await restore_with_ledger(settings, resources.keyring, path)
    assert done.locked == [ada.user.id]
    user = await User.get(id=ada.user.id)
    assert not user.is_active and user.deletion_scheduled_for == promised


async def test_a_new_account_never_gets_the_id_of_a_deleted_one(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    # Zed signs up after the backup and deletes his account; the backup is restored
    await create_account(settings)
    path = await backup(resources)
    zed = await create_account(settings)
    await confirm_deletion(gql, mailbox, run_core_jobs, zed)
    done = await restore_with_ledger(settings, resources.keyring, path)
    assert done.locked == [] and not await User.filter(id=zed.user.id).exists()
    # The next sign-up gets a fresh id, so a later restore cannot mistake it for Zed
    newcomer = await create_account(settings)
    assert newcomer.user.id > zed.user.id
    later = await backup(resources)
    again = await restore_with_ledger(settings, resources.keyring, later)
    assert again.locked == [] and again.purged == []
    assert (await User.get(id=newcomer.user.id)).is_active
