"""Confirming an account deletion closes its open websockets at once (4401)."""

from __future__ import annotations

from unittest.mock import ANY

from tests.factories.accounts import PASSWORD, create_account
from tests.live.helpers import closed_code, open_socket
from tests.privacy.helpers import CONFIRM_DELETION, REQUEST_DELETION, deletion_link_token


async def test_confirmation_closes_the_accounts_live_subscriptions(
    live,
    gql,
    settings,
    mailbox,
    run_core_jobs,
) -> None:
    ada = await create_account(settings)
    bob = await create_account(settings)
    ws = await open_socket(live.url, ada.token)
    bystander = await open_socket(live.url, bob.token)
    await gql(REQUEST_DELETION, {"p": PASSWORD}, token=ada.token)
    await run_core_jobs()

    assert await gql(CONFIRM_DELETION, {"t": deletion_link_token(mailbox, ada.user.email)}) == {
        "extensions": ANY,
        "data": {"confirmAccountDeletion": True},
    }

    assert await closed_code(ws) == 4401
    assert await closed_code(bystander, timeout=0.3) is None
    await bystander.close()
