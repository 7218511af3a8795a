from __future__ import annotations

from api.accounts.models import User
from tests.factories.accounts import PASSWORD, create_account, create_pat

CHANGE = """
mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) {
    user { email } errors { field code }
  }
}"""
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token errors { code } }
}"""
VIEWER = "{ viewer { user { email } } }"
NEW = "a brand new password"


async def _status(client, token: str) -> int:
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def test_change_password_keeps_this_session_and_ends_the_others(
    client, gql, settings, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings, email="mover@example.test")
    other = (await gql(LOG_IN, {"email": "mover@example.test", "password": PASSWORD}))["data"][
        "logIn"
    ]["token"]
    pat = await create_pat(account.user, ["account:read"])

    result = await gql(CHANGE, {"current": PASSWORD, "new": NEW}, token=account.token)

    assert result["data"]["changePassword"] == {
        "user": {"email": "mover@example.test"},
        "errors": [],
    }
    assert await _status(client, account.token) == 200
    assert await _status(client, other) == 401
    # Personal access tokens are kept (documented choice).
    assert await _status(client, pat) == 200
    bad = await gql(LOG_IN, {"email": "mover@example.test", "password": PASSWORD})
    assert bad["data"]["logIn"]["errors"] == [{"code": "WRONG_PASSWORD"}]
    good = await gql(LOG_IN, {"email": "mover@example.test", "password": NEW})
    assert good["data"]["logIn"]["token"]
    await run_core_jobs()
    assert [m["Subject"] for m in mailbox.to("mover@example.test")] == [
        "Your Hitflow password was changed"
    ]


async def test_wrong_current_password_changes_nothing(gql, settings) -> None:
    account = await create_account(settings, email="guess@example.test")
    before = (await User.get(id=account.user.id)).password_hash

    result = await gql(CHANGE, {"current": "not my password", "new": NEW}, token=account.token)

    assert result["data"]["changePassword"] == {
        "user": None,
        "errors": [{"field": "currentPassword", "code": "WRONG_PASSWORD"}],
    }
    assert (await User.get(id=account.user.id)).password_hash == before


async def test_guessing_the_current_password_is_throttled(gql, settings) -> None:
    account = await create_account(settings, email="stolen@example.test")
    for _ in range(settings.login_max_failures_per_account):
        await gql(CHANGE, {"current": "guess guess", "new": NEW}, token=account.token)
    result = await gql(CHANGE, {"current": PASSWORD, "new": NEW}, token=account.token)
    assert result["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_short_new_password_is_refused(gql, settings) -> None:
    account = await create_account(settings)
    result = await gql(CHANGE, {"current": PASSWORD, "new": "short"}, token=account.token)
    assert result["data"]["changePassword"]["errors"] == [
        {"field": "newPassword", "code": "INVALID"}
    ]


async def test_access_tokens_cannot_change_the_password(gql, settings) -> None:
    account = await create_account(settings)
    writer = await create_pat(account.user, ["account:write"])
    reader = await create_pat(account.user, ["account:read"])

    by_writer = await gql(CHANGE, {"current": PASSWORD, "new": NEW}, token=writer)
    by_reader = await gql(CHANGE, {"current": PASSWORD, "new": NEW}, token=reader)
    anonymous = await gql(CHANGE, {"current": PASSWORD, "new": NEW})

    assert by_writer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_reader["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await gql(LOG_IN, {"email": account.user.email, "password": PASSWORD}) != {}
