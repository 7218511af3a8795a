"""Turning the authenticator off or renewing recovery codes needs the password and a
current factor; every change is mailed; staff reset with a reason, in the accessLog."""

from __future__ import annotations

from api.accounts.models import RecoveryCode, TotpDevice
from api.privacy.models import AuditEvent
from tests.accounts.helpers import COMPLETE, DISABLE, LOG_IN, REGENERATE, enrol, next_step, phone
from tests.factories.accounts import PASSWORD, create_account

RESET = """mutation($e: String!, $r: String!) { staffResetTwoFactor(email: $e, reason: $r) {
  errors { field code } } }"""
ACCESS_LOG = "{ viewer { user { accessLog(first: 5) { edges { node { action reason } } } } } }"


async def test_disabling_needs_the_password_and_a_current_code(
    gql, settings, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings, email="ada@example.test")
    secret, codes = await enrol(gql, account.token)
    next_step()

    wrong_password = await gql(
        DISABLE, {"p": "not my password", "c": phone(secret)}, token=account.token
    )
    wrong_code = await gql(DISABLE, {"p": PASSWORD, "c": "000000"}, token=account.token)
    assert wrong_password["data"]["disableTotp"]["errors"] == [
        {"field": "password", "code": "WRONG_PASSWORD"}
    ]
    assert wrong_code["data"]["disableTotp"]["errors"] == [
        {"field": "code", "code": "INVALID_CODE"}
    ]
    assert await TotpDevice.exists(user_id=account.user.id)

    done = await gql(DISABLE, {"p": PASSWORD, "c": codes[0]}, token=account.token)

    assert done["data"]["disableTotp"] == {"user": {"secondFactors": []}, "errors": []}
    assert not await RecoveryCode.exists(user_id=account.user.id)
    login = (await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD}))["data"]["logIn"]
    assert login["token"] and not login["mfaRequired"]
    await run_core_jobs()
    subjects = [m["Subject"] for m in mailbox.to("ada@example.test")]
    assert subjects.count("Your Hitflow sign-in settings changed") == 2  # added, removed


async def test_new_recovery_codes_replace_the_old_ones(gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    secret, old = await enrol(gql, account.token)
    next_step()

    result = await gql(REGENERATE, {"p": PASSWORD, "c": phone(secret)}, token=account.token)

    new = result["data"]["regenerateRecoveryCodes"]["recoveryCodes"]
    assert len(new) == 10 and not set(new) & set(old)
    login = (await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD}))["data"]["logIn"]
    stale = await gql(COMPLETE, {"t": login["mfaToken"], "r": old[1]})
    assert stale["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID_CODE"
    fresh = await gql(COMPLETE, {"t": login["mfaToken"], "r": new[1]})
    assert fresh["data"]["completeLogIn"]["token"]


async def test_changes_without_a_factor_set_up_answer_not_found(gql, settings) -> None:
    account = await create_account(settings)
    result = await gql(DISABLE, {"p": PASSWORD, "c": "123456"}, token=account.token)
    assert result["data"]["disableTotp"]["errors"][0]["code"] == "NOT_FOUND"


async def test_staff_reset_needs_a_reason_and_shows_in_the_access_log(
    gql, settings, mailbox, run_core_jobs
) -> None:
    staff = await create_account(settings, staff=True)
    ada = await create_account(settings, email="ada@example.test")
    await enrol(gql, ada.token)

    no_reason = await gql(RESET, {"e": "ada@example.test", "r": "x"}, token=staff.token)
    assert no_reason["data"]["staffResetTwoFactor"]["errors"] == [
        {"field": "reason", "code": "INVALID"}
    ]
    unknown = await gql(RESET, {"e": "nobody@example.test", "r": "Ticket #77"}, token=staff.token)
    assert unknown["data"]["staffResetTwoFactor"]["errors"][0]["code"] == "NOT_FOUND"
    assert await TotpDevice.exists(user_id=ada.user.id)

    done = await gql(
        RESET, {"e": "ada@example.test", "r": "Ticket #77: lost phone"}, token=staff.token
    )

    assert done["data"]["staffResetTwoFactor"]["errors"] == []
    assert not await TotpDevice.exists(user_id=ada.user.id)
    assert await AuditEvent.filter(subject_id=ada.user.id, action="two_factor_reset").count() == 1
    # Every session of the account ended; after logging in again the log shows the reset
    login = (await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD}))["data"]["logIn"]
    log = await gql(ACCESS_LOG, token=login["token"])
    edges = log["data"]["viewer"]["user"]["accessLog"]["edges"]
    assert {"action": "two_factor_reset", "reason": "Ticket #77: lost phone"} in [
        e["node"] for e in edges
    ]
    await run_core_jobs()
    assert any("lost phone" in body for body in mailbox.bodies("ada@example.test"))


async def test_only_staff_with_a_second_factor_may_reset(gql, settings) -> None:
    ada = await create_account(settings, email="ada@example.test")
    await enrol(gql, ada.token)
    customer = await create_account(settings)
    staff_without = await create_account(settings, staff=True)
    await TotpDevice.filter(user_id=staff_without.user.id).delete()

    as_customer = await gql(
        RESET, {"e": "ada@example.test", "r": "Ticket #1 x"}, token=customer.token
    )
    as_weak_staff = await gql(
        RESET, {"e": "ada@example.test", "r": "Ticket #1 x"}, token=staff_without.token
    )
    anonymous = await gql(RESET, {"e": "ada@example.test", "r": "Ticket #1 x"})

    assert as_customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert as_weak_staff["errors"][0]["extensions"]["code"] == "TWO_FACTOR_REQUIRED"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await TotpDevice.exists(user_id=ada.user.id)
