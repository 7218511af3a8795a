"""`hitflow purge`: the operator's way to run the purge now, for every account past its
grace period or for one confirmed-deleted account (`--user ... --now`); accounts not
confirmed for deletion and accounts under legal hold are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.accounts.models import User
from api.core import clock
from api.privacy.ledger import ledger_path
from api.targets.models import TargetStatus
from api.workspaces.models import Workspace
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.privacy.helpers import confirm_deletion, database_settings, run_cli


@pytest.fixture
def settings(tmp_path, smtp, database_url):  # type: ignore[no-untyped-def]
    return database_settings(tmp_path, smtp, database_url)


@pytest.mark.slow
async def test_purge_command(gql, settings, resources, mailbox, run_core_jobs) -> None:
    # Ada's grace period is over; Carol confirmed her deletion today; Bob deleted nothing;
    # Dan's deletion is over its date but he is under legal hold
    ada = await create_account(settings, email="ada@example.test")
    bob = await create_account(settings, email="bob@example.test")
    carol = await create_account(settings, email="carol@example.test")
    dan = await create_account(settings, email="dan@example.test")
    await create_target(carol.workspace, name="Carol site", status=TargetStatus.UP)
    past = clock.now() - timedelta(minutes=5)
    await User.filter(id__in=[ada.user.id, dan.user.id]).update(
        is_active=False, deletion_scheduled_for=past
    )
    await User.filter(id=dan.user.id).update(legal_hold=True)
    await confirm_deletion(gql, mailbox, run_core_jobs, carol)

    # `hitflow purge` purges what is due, and only that
    ran = await run_cli(settings, "purge")
    assert ran.returncode == 0, ran.stderr
    assert "purged 1 account(s)" in ran.stdout
    assert not await User.filter(id=ada.user.id).exists()
    assert await User.filter(id__in=[bob.user.id, carol.user.id, dan.user.id]).count() == 3
    assert f'"userId": {ada.user.id}' in ledger_path(settings).read_text()

    # One account before its date needs --now
    early = await run_cli(settings, "purge", "--user", "carol@example.test")
    assert early.returncode == 1 and "add --now" in early.stderr
    now = await run_cli(settings, "purge", "--user", "Carol@Example.test", "--now")
    assert now.returncode == 0, now.stderr
    assert f"purged account {carol.user.id}" in now.stdout
    assert not await User.filter(id=carol.user.id).exists()
    assert not await Workspace.filter(id=carol.workspace.id).exists()

    # Refused: an account not confirmed for deletion, one under legal hold, an unknown one
    active = await run_cli(settings, "purge", "--user", str(bob.user.id), "--now")
    assert active.returncode == 1 and "not confirmed for deletion" in active.stderr
    held = await run_cli(settings, "purge", "--user", "dan@example.test", "--now")
    assert held.returncode == 1 and "legal hold" in held.stderr
    assert await User.filter(id__in=[bob.user.id, dan.user.id]).count() == 2
    unknown = await run_cli(settings, "purge", "--user", "nobody@example.test", "--now")
    assert unknown.returncode == 1 and "no such account" in unknown.stderr
    lone = await run_cli(settings, "purge", "--now")
    assert lone.returncode == 2 and "--now needs --user" in lone.stderr
