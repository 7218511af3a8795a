"""Which accounts count as having a second factor (the policy and staff checks read it)."""

from __future__ import annotations

import pyotp

from api.accounts.factors import has_second_factor, users_with_second_factor
from api.accounts.models import TotpDevice, WebAuthnCredential
from tests.factories.accounts import create_account


async def test_an_active_app_or_a_passkey_counts_an_unconfirmed_app_does_not(db, settings):
    none = await create_account(settings)
    pending = await create_account(settings)
    await TotpDevice.create(user=pending.user, secret_encrypted="00")  # not confirmed
    app = await create_account(settings, totp_secret=pyotp.random_base32())
    key = await create_account(settings)
    await WebAuthnCredential.create(user=key.user, credential_id="abc", public_key="x", name="k")

    answers = [await has_second_factor(a.user.id) for a in (none, pending, app, key)]

    assert answers == [False, False, True, True]
    ids = [a.user.id for a in (none, pending, app, key)]
    assert await users_with_second_factor(ids) == {app.user.id, key.user.id}
