from __future__ import annotations

from unittest.mock import ANY

import pytest

from api.accounts.models import EmailToken, User
from api.core.tokens import hash_token
from api.workspaces.models import Membership, Role
from tests.mail import link_token

SIGN_UP = """
mutation($email: String!, $password: String!, $name: String) {
  signUp(email: $email, password: $password, displayName: $name) {
    token user { email } errors { field code message }
  }
}"""
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token user { email emailVerified } errors { code } }
}"""
PASSWORD = "a long enough password"


async def test_sign_up_creates_account_workspace_and_mails_a_verification_link(
    gql, mailbox, run_core_jobs, settings
) -> None:
    result = await gql(
        SIGN_UP, {"email": "  Ada@Example.TEST ", "password": PASSWORD, "name": "Ada"}
    )

    # No session before the address is confirmed, and nothing that tells the address apart.
    assert result == {
        "extensions": ANY,
        "data": {"signUp": {"token": None, "user": None, "errors": []}},
    }
    user = await User.get(email="ada@example.test")
    assert user.display_name == "Ada"
    assert not user.email_verified
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    membership = await Membership.get(user=user).select_related("workspace")
    assert membership.role == Role.OWNER
    assert membership.workspace.personal

    await run_core_jobs()
    [body] = mailbox.bodies("ada@example.test")
    assert f"{settings.effective_app_url}/verify-email?token=hf_mail_" in body
    token = link_token(body, "/verify-email")
    # Only the hash is stored.
    row = await EmailToken.get(user=user)
    assert row.token_hash == hash_token(token)
    assert row.purpose == "verify_email"
    assert not await EmailToken.filter(token_hash=token).exists()


async def test_logging_in_before_verification_says_not_verified_and_resends_the_link(
    gql, mailbox, run_core_jobs
) -> None:
    await gql(SIGN_UP, {"email": "bob@example.test", "password": PASSWORD})
    result = await gql(LOG_IN, {"email": "bob@example.test", "password": PASSWORD})
    assert result["data"]["logIn"] == {
        "token": None,
        "user": None,
        "errors": [{"code": "NOT_VERIFIED"}],
    }
    await run_core_jobs()
    assert len(mailbox.bodies("bob@example.test")) == 2


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"email": "a@b", "password": PASSWORD}, "email"),
        ({"email": "a b@example.test", "password": PASSWORD}, "email"),
        ({"email": "x" * 250 + "@example.test", "password": PASSWORD}, "email"),
        ({"email": "ok@example.test", "password": "short"}, "password"),
        ({"email": "ok@example.test", "password": "123456789"}, "password"),
        ({"email": "ok@example.test", "password": "x" * 1025}, "password"),
        ({"email": "ok@example.test", "password": PASSWORD, "name": "n" * 101}, "displayName"),
    ],
)
async def test_bad_input_is_a_user_error_naming_the_field(gql, variables, field) -> None:
    result = await gql(SIGN_UP, variables)
    assert "errors" not in result
    [error] = result["data"]["signUp"]["errors"]
    assert error["code"] == "INVALID"
    assert error["field"] == field
    assert await User.all().count() == 0


async def test_nul_in_any_string_is_refused_naming_where(client) -> None:
    # NUL is refused for every field at the edge (PostgreSQL cannot store it).
    variables = {"email": "ok@example.test", "password": PASSWORD, "name": "bad\x00name"}
    response = await client.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert response.status_code == 400
    assert "variables.name" in response.json()["errors"][0]["message"]
    assert await User.all().count() == 0


async def test_a_ten_character_password_is_accepted(gql) -> None:
    result = await gql(SIGN_UP, {"email": "ten@example.test", "password": "0123456789"})
    assert result["data"]["signUp"]["errors"] == []
    assert await User.filter(email="ten@example.test").exists()


async def test_duplicate_sign_up_changes_nothing_and_warns_the_owner(
    gql, mailbox, run_core_jobs
) -> None:
    await gql(SIGN_UP, {"email": "eve@example.test", "password": PASSWORD})
    before = await User.get(email="eve@example.test")

    again = await gql(SIGN_UP, {"email": "EVE@example.test", "password": "another password!"})

    assert again == {
        "extensions": ANY,
        "data": {"signUp": {"token": None, "user": None, "errors": []}},
    }
    assert await User.filter(email="eve@example.test").count() == 1
    assert (await User.get(email="eve@example.test")).password_hash == before.password_hash
    await run_core_jobs()
    subjects = [m["Subject"] for m in mailbox.to("eve@example.test")]
    assert "Someone tried to sign up to Hitflow with your address" in subjects
