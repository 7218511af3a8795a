"""Passkeys: registered and used to sign in with a software authenticator; a cloned key
(signature counter not growing), a wrong origin and a replayed challenge are refused."""

from __future__ import annotations

import json

from api.accounts.models import WebAuthnCredential
from tests.accounts.authenticator import SoftAuthenticator
from tests.accounts.helpers import COMPLETE, LOG_IN, enrol, next_step, phone
from tests.factories.accounts import PASSWORD, create_account, create_pat

ORIGIN = "http://app.test"  # the SPA URL of the test settings
START_REG = "mutation { startWebAuthnRegistration { options errors { code } } }"
FINISH_REG = """mutation($c: String!, $n: String!) { finishWebAuthnRegistration(credential: $c,
  name: $n) { credential { id name } recoveryCodes errors { field code } } }"""
START_LOGIN = """mutation($t: String!) { startWebAuthnLogIn(mfaToken: $t) {
  options errors { field code } } }"""
COMPLETE_KEY = """mutation($t: String!, $a: String!) { completeLogIn(mfaToken: $t,
  webAuthnAssertion: $a) { token errors { field code } } }"""
REMOVE = """mutation($id: ID!, $p: String!, $c: String!) {
  removeWebAuthnCredential(id: $id, password: $p, code: $c) { deletedId errors { field code } } }"""
KEYS = "{ viewer { webAuthnCredentials { id name } user { secondFactors } } }"


async def _register(gql, token: str, key: SoftAuthenticator, origin: str = ORIGIN) -> dict:
    started = (await gql(START_REG, token=token))["data"]["startWebAuthnRegistration"]
    options = json.loads(started["options"])
    credential = key.create(options, origin)
    return (await gql(FINISH_REG, {"c": credential, "n": "YubiKey"}, token=token))["data"][
        "finishWebAuthnRegistration"
    ]


async def _sign_in(gql, email: str, key: SoftAuthenticator, origin: str = ORIGIN) -> dict:
    login = (await gql(LOG_IN, {"e": email, "p": PASSWORD}))["data"]["logIn"]
    assert "WEBAUTHN" in login["mfaFactors"]
    started = (await gql(START_LOGIN, {"t": login["mfaToken"]}))["data"]["startWebAuthnLogIn"]
    assertion = key.get(json.loads(started["options"]), origin)
    return (await gql(COMPLETE_KEY, {"t": login["mfaToken"], "a": assertion}))["data"][
        "completeLogIn"
    ]


async def test_register_a_passkey_and_sign_in_with_it(gql, settings, mailbox, run_core_jobs):
    account = await create_account(settings, email="ada@example.test")
    key = SoftAuthenticator()

    registered = await _register(gql, account.token, key)

    assert registered["errors"] == []
    assert registered["credential"]["name"] == "YubiKey"
    assert len(registered["recoveryCodes"]) == 10  # the first factor brings recovery codes
    listing = (await gql(KEYS, token=account.token))["data"]["viewer"]
    assert listing["webAuthnCredentials"] == [registered["credential"]]
    assert listing["user"]["secondFactors"] == ["WEBAUTHN", "RECOVERY_CODE"]

    signed_in = await _sign_in(gql, "ada@example.test", key)

    assert signed_in["errors"] == [] and signed_in["token"].startswith("hf_sess_")
    assert (await WebAuthnCredential.get(user_id=account.user.id)).sign_count == 1
    await run_core_jobs()
    assert any("passkey" in b for b in mailbox.bodies("ada@example.test"))


async def test_a_cloned_key_is_refused_once_the_original_moved_on(gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    key = SoftAuthenticator()
    await _register(gql, account.token, key)
    clone = key.clone()
    assert (await _sign_in(gql, "ada@example.test", key))["token"]  # counter 1
    assert (await _sign_in(gql, "ada@example.test", key))["token"]  # counter 2

    cloned = await _sign_in(gql, "ada@example.test", clone)  # counter 1 again

    assert cloned["token"] is None
    assert cloned["errors"] == [{"field": "webAuthnAssertion", "code": "INVALID_CODE"}]


async def test_a_wrong_origin_is_refused_for_registration_and_sign_in(gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    phishing = "https://app.test.evil.example"

    bad = await _register(gql, account.token, SoftAuthenticator(), origin=phishing)
    assert bad["errors"] == [{"field": "credential", "code": "INVALID_CODE"}]
    assert not await WebAuthnCredential.exists(user_id=account.user.id)

    key = SoftAuthenticator()
    await _register(gql, account.token, key)
    refused = await _sign_in(gql, "ada@example.test", key, origin=phishing)
    assert refused["errors"] == [{"field": "webAuthnAssertion", "code": "INVALID_CODE"}]


async def test_an_assertion_is_bound_to_its_sign_in(gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    key = SoftAuthenticator()
    await _register(gql, account.token, key)
    first = (await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD}))["data"]["logIn"]
    second = (await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD}))["data"]["logIn"]
    options = (await gql(START_LOGIN, {"t": first["mfaToken"]}))["data"]["startWebAuthnLogIn"]
    await gql(START_LOGIN, {"t": second["mfaToken"]})
    assertion = key.get(json.loads(options["options"]), ORIGIN)

    # The first sign-in's answer does not complete the second (another challenge)
    stolen = await gql(COMPLETE_KEY, {"t": second["mfaToken"], "a": assertion})
    no_challenge = await gql(
        COMPLETE_KEY,
        {
            "t": (await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD}))["data"]["logIn"][
                "mfaToken"
            ],
            "a": assertion,
        },
    )
    garbage = await gql(COMPLETE_KEY, {"t": first["mfaToken"], "a": "{not json"})

    assert stolen["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID_CODE"
    assert no_challenge["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID_CODE"
    assert garbage["data"]["completeLogIn"]["errors"][0]["code"] == "INVALID"
    ok = await gql(COMPLETE_KEY, {"t": first["mfaToken"], "a": assertion})
    assert ok["data"]["completeLogIn"]["token"]


async def test_removing_a_passkey_needs_the_password_and_a_code(gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    secret, _ = await enrol(gql, account.token)
    registered = await _register(gql, account.token, SoftAuthenticator())
    assert registered["recoveryCodes"] == []  # it had a factor already
    key_id = registered["credential"]["id"]
    eve = await create_account(settings)
    next_step()

    wrong = await gql(REMOVE, {"id": key_id, "p": "nope", "c": phone(secret)}, token=account.token)
    foreign = await gql(REMOVE, {"id": key_id, "p": PASSWORD, "c": "1"}, token=eve.token)
    reader = await gql(
        REMOVE,
        {"id": key_id, "p": PASSWORD, "c": phone(secret)},
        token=await create_pat(account.user, ["account:read"]),
    )
    assert wrong["data"]["removeWebAuthnCredential"]["errors"][0]["code"] == "WRONG_PASSWORD"
    assert foreign["data"]["removeWebAuthnCredential"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND"}
    ]
    assert reader["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    done = await gql(REMOVE, {"id": key_id, "p": PASSWORD, "c": phone(secret)}, token=account.token)

    assert done["data"]["removeWebAuthnCredential"]["errors"] == []
    assert not await WebAuthnCredential.exists(user_id=account.user.id)
    login = (await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD}))["data"]["logIn"]
    assert login["mfaFactors"] == ["TOTP", "RECOVERY_CODE"]
    assert (await gql(COMPLETE, {"t": login["mfaToken"], "c": phone(secret, steps=1)}))["data"][
        "completeLogIn"
    ]["token"]
