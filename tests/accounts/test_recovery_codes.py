"""Recovery codes: each signs in once; the user is mailed when one is used."""

from __future__ import annotations

from tests.accounts.helpers import COMPLETE, LOG_IN, enrol
from tests.factories.accounts import PASSWORD, create_account


async def _mfa_token(gql, email: str) -> str:
    return (await gql(LOG_IN, {"e": email, "p": PASSWORD}))["data"]["logIn"]["mfaToken"]


async def test_a_recovery_code_signs_in_once(gql, settings, mailbox, run_core_jobs) -> None:
    account = await create_account(settings, email="ada@example.test")
    _, codes = await enrol(gql, account.token)

    first = await gql(
        COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "r": codes[3].upper()}
    )
    second = await gql(COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "r": codes[3]})

    assert first["data"]["completeLogIn"]["token"]
    assert second["data"]["completeLogIn"]["token"] is None
    assert second["data"]["completeLogIn"]["errors"][0] == {
        "field": "recoveryCode",
        "code": "INVALID_CODE",
        "message": "This code is wrong, expired or was already used.",
    }
    other = await gql(COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "r": codes[4]})
    assert other["data"]["completeLogIn"]["token"]
    await run_core_jobs()
    notices = [
        m.get_content()
        for m in mailbox.to("ada@example.test")
        if m["Subject"] == "A recovery code was used to sign in to Hitflow"
    ]
    assert len(notices) == 2
    assert "9 remain unused" in notices[0] and "8 remain unused" in notices[1]


async def test_another_accounts_recovery_code_does_not_work(gql, settings) -> None:
    ada = await create_account(settings, email="ada@example.test")
    eve = await create_account(settings, email="eve@example.test")
    await enrol(gql, ada.token)
    _, eves_codes = await enrol(gql, eve.token)

    result = await gql(
        COMPLETE, {"t": await _mfa_token(gql, "ada@example.test"), "r": eves_codes[0]}
    )

    assert result["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID_CODE"
