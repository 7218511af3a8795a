"""Setting up an authenticator app: secret + otpauth URI + QR (SVG), confirmed with a code
from a real TOTP generator; ten single-use recovery codes; the secret encrypted at rest."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from api.accounts.models import RecoveryCode, TotpDevice
from tests.accounts.helpers import CONFIRM, FACTORS, START, enrol, phone
from tests.factories.accounts import create_account, create_pat


async def test_enrolment_gives_a_scannable_secret_and_turns_on_with_a_code(
    gql, settings, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings, email="ada@example.test")

    started = (await gql(START, token=account.token))["data"]["startTotpEnrollment"]

    uri = urlsplit(started["uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [started["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["Hitflow"]
    assert started["qrSvg"].startswith("<svg") and "</svg>" in started["qrSvg"]
    # Not on until confirmed
    assert (await gql(FACTORS, token=account.token))["data"]["viewer"]["user"] == {
        "secondFactors": []
    }

    result = await gql(CONFIRM, {"c": phone(started["secret"])}, token=account.token)

    codes = result["data"]["confirmTotpEnrollment"]["recoveryCodes"]
    assert result["data"]["confirmTotpEnrollment"]["errors"] == []
    assert len(codes) == 10 and len(set(codes)) == 10
    assert (await gql(FACTORS, token=account.token))["data"]["viewer"]["user"] == {
        "secondFactors": ["TOTP", "RECOVERY_CODE"]
    }
    # At rest: neither the secret nor a recovery code in clear
    device = await TotpDevice.get(user_id=account.user.id)
    assert started["secret"] not in device.secret_encrypted
    hashes = [r.code_hash for r in await RecoveryCode.filter(user_id=account.user.id)]
    assert not any(code in hashes or code.replace("-", "") in hashes for code in codes)
    await run_core_jobs()
    assert "Your Hitflow sign-in settings changed" in [
        m["Subject"] for m in mailbox.to("ada@example.test")
    ]


async def test_a_wrong_code_does_not_turn_it_on(gql, settings) -> None:
    account = await create_account(settings)
    started = (await gql(START, token=account.token))["data"]["startTotpEnrollment"]
    wrong = f"{(int(phone(started['secret'])) + 1) % 1000000:06d}"

    for code in (wrong, "abcdef", "", "1" * 5000):
        result = await gql(CONFIRM, {"c": code}, token=account.token)
        assert result["data"]["confirmTotpEnrollment"]["errors"][0]["code"] == "INVALID_CODE"

    assert (await gql(FACTORS, token=account.token))["data"]["viewer"]["user"] == {
        "secondFactors": []
    }


async def test_confirming_without_starting_and_enrolling_twice_are_refused(gql, settings) -> None:
    account = await create_account(settings)
    result = await gql(CONFIRM, {"c": "123456"}, token=account.token)
    assert result["data"]["confirmTotpEnrollment"]["errors"][0]["code"] == "INVALID_CODE"

    await enrol(gql, account.token)
    again = await gql(START, token=account.token)
    assert again["data"]["startTotpEnrollment"]["errors"] == [{"code": "INVALID_CODE"}]


async def test_tokens_cannot_manage_factors_and_anonymous_callers_are_refused(
    gql, settings
) -> None:
    account = await create_account(settings)
    reader = await create_pat(account.user, ["account:read"])
    writer = await create_pat(account.user, ["account:write"])

    no_scope = await gql(START, token=reader)
    assert no_scope["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    pat = await gql(START, token=writer)
    assert pat["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # a session only
    anonymous = await gql(START)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not await TotpDevice.exists(user_id=account.user.id)
