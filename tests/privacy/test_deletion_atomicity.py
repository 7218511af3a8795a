"""Confirming a deletion is atomic: the database holds it even when the ledger file
cannot be written, and nothing changes when locking the workspaces fails."""

from __future__ import annotations

from unittest.mock import ANY

from api.accounts.models import EmailToken, User
from api.privacy import deletion, ledger
from api.privacy.models import DeletionLedger
from tests.factories.accounts import PASSWORD, create_account
from tests.privacy.helpers import (
    CONFIRM_DELETION,
    REQUEST_DELETION,
    deletion_link_token,
)


async def test_confirmation_is_consistent_when_the_ledger_file_fails(
    gql, settings, mailbox, run_core_jobs, monkeypatch
) -> None:
    ada = await create_account(settings)
    assert (await gql(REQUEST_DELETION, {"p": PASSWORD}, token=ada.token))["data"]
    await run_core_jobs()
    token = deletion_link_token(mailbox, ada.user.email)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ledger, "append_ledger_file", disk_full)
    await gql(CONFIRM_DELETION, {"t": token})
    # The link is used, so the account is locked and the database ledger holds it.
    assert await EmailToken.filter(user_id=ada.user.id, used_at=None).count() == 0
    user = await User.get(id=ada.user.id)
    assert not user.is_active and user.deletion_scheduled_for is not None
    assert await DeletionLedger.filter(user_id=ada.user.id, scheduled_for__not_isnull=True).exists()


async def test_confirmation_rolls_back_when_the_lock_fails(
    gql, settings, mailbox, run_core_jobs, monkeypatch
) -> None:
    ada = await create_account(settings)
    assert (await gql(REQUEST_DELETION, {"p": PASSWORD}, token=ada.token))["data"]
    await run_core_jobs()
    token = deletion_link_token(mailbox, ada.user.email)

    async def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(deletion, "pause_sole_workspaces", broken)
    result = await gql(CONFIRM_DELETION, {"t": token})
    assert result.get("errors")
    # Nothing happened: the link still works and the account is untouched.
    assert (await User.get(id=ada.user.id)).is_active
    assert not await DeletionLedger.filter(user_id=ada.user.id).exists()
    monkeypatch.undo()
    assert await gql(CONFIRM_DELETION, {"t": token}) == {
        "extensions": ANY,
        "data": {"confirmAccountDeletion": True},
    }
