"""Changing the sign-in address: a confirmation link to the new address, a notice with a
cancel link to the old one; the address changes only on confirmation."""

from __future__ import annotations

import re

from api.accounts.models import User
from tests.accounts.helpers import LOG_IN
from tests.factories.accounts import PASSWORD, create_account, create_pat

REQUEST = """mutation($e: String!, $p: String!) { requestEmailChange(newEmail: $e, password: $p) {
  errors { field code } } }"""
CONFIRM = """mutation($t: String!) { confirmEmailChange(token: $t) {
  user { email emailVerified } errors { field code } } }"""
CANCEL = "mutation($t: String!) { cancelEmailChange(token: $t) { errors { field code } } }"
ME = "{ viewer { user { email } } }"


def _token(body: str) -> str:
    match = re.search(r"token=([A-Za-z0-9_%-]+)", body)
    assert match, body
    return match.group(1)


async def test_the_address_changes_on_confirmation_from_the_new_one(
    client, gql, settings, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings, email="old@example.test")
    second = (await gql(LOG_IN, {"e": "old@example.test", "p": PASSWORD}))["data"]["logIn"]

    result = await gql(REQUEST, {"e": "New@Example.test", "p": PASSWORD}, token=account.token)

    assert result["data"]["requestEmailChange"]["errors"] == []
    assert (await User.get(id=account.user.id)).email == "old@example.test"  # not yet
    await run_core_jobs()
    [confirm_mail] = mailbox.to("new@example.test")
    assert "/account/confirm-email-change?token=" in confirm_mail.get_content()
    notice = [m for m in mailbox.to("old@example.test") if "was requested" in m["Subject"]]
    assert "/account/cancel-email-change?token=" in notice[0].get_content()

    done = await gql(CONFIRM, {"t": _token(confirm_mail.get_content())}, token=account.token)

    assert done["data"]["confirmEmailChange"] == {
        "user": {"email": "new@example.test", "emailVerified": True},
        "errors": [],
    }
    assert (await gql(ME, token=account.token))["data"]["viewer"]["user"]["email"] == (
        "new@example.test"
    )
    # The other session was logged out
    other = await client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {second['token']}"}
    )
    assert other.status_code == 401
    login = (await gql(LOG_IN, {"e": "new@example.test", "p": PASSWORD}))["data"]["logIn"]
    assert login["token"]
    again = await gql(CONFIRM, {"t": _token(confirm_mail.get_content())})
    assert again["data"]["confirmEmailChange"]["errors"][0]["code"] == "INVALID"
    await run_core_jobs()
    assert any("was changed" in m["Subject"] for m in mailbox.to("old@example.test"))


async def test_the_old_address_can_cancel(gql, settings, mailbox, run_core_jobs) -> None:
    account = await create_account(settings, email="old@example.test")
    await gql(REQUEST, {"e": "new@example.test", "p": PASSWORD}, token=account.token)
    await run_core_jobs()
    confirm = _token(mailbox.bodies("new@example.test")[0])
    cancel = _token(next(b for b in mailbox.bodies("old@example.test") if "cancel" in b))

    cancelled = await gql(CANCEL, {"t": cancel})
    late = await gql(CONFIRM, {"t": confirm})

    assert cancelled["data"]["cancelEmailChange"]["errors"] == []
    assert late["data"]["confirmEmailChange"]["errors"][0]["code"] == "INVALID"
    assert (await User.get(id=account.user.id)).email == "old@example.test"


async def test_bad_requests_change_nothing(gql, settings, mailbox, run_core_jobs) -> None:
    account = await create_account(settings, email="old@example.test")
    await create_account(settings, email="taken@example.test")
    writer = await create_pat(account.user, ["account:write"])

    wrong = await gql(REQUEST, {"e": "new@example.test", "p": "nope nope"}, token=account.token)
    invalid = await gql(REQUEST, {"e": "not an address", "p": PASSWORD}, token=account.token)
    same = await gql(REQUEST, {"e": "old@example.test", "p": PASSWORD}, token=account.token)
    taken = await gql(REQUEST, {"e": "taken@example.test", "p": PASSWORD}, token=account.token)
    by_token = await gql(REQUEST, {"e": "new@example.test", "p": PASSWORD}, token=writer)
    anonymous = await gql(REQUEST, {"e": "new@example.test", "p": PASSWORD})
    made_up = await gql(CONFIRM, {"t": "hf_mail_madeup"})

    assert wrong["data"]["requestEmailChange"]["errors"] == [
        {"field": "password", "code": "WRONG_PASSWORD"}
    ]
    assert invalid["data"]["requestEmailChange"]["errors"] == [
        {"field": "newEmail", "code": "INVALID"}
    ]
    assert same["data"]["requestEmailChange"]["errors"][0]["code"] == "INVALID"
    # A taken address answers like a free one; its owner is told, no link is sent
    assert taken["data"]["requestEmailChange"]["errors"] == []
    assert by_token["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert made_up["data"]["confirmEmailChange"]["errors"][0]["code"] == "INVALID"
    await run_core_jobs()
    assert mailbox.to("new@example.test") == []
    taken_mails = mailbox.bodies("taken@example.test")
    assert len(taken_mails) == 1 and "token=" not in taken_mails[0]
    assert (await User.get(id=account.user.id)).email == "old@example.test"
