"""updateProfile sets and clears the display name, refuses overlong names, and needs a
login with account:write."""

from __future__ import annotations

from api.accounts.models import User
from tests.factories.accounts import create_account, create_pat

UPDATE = """
mutation($name: String) { updateProfile(displayName: $name) {
  user { displayName } errors { field code } } }"""


async def test_update_profile_sets_and_clears_the_display_name(gql, settings) -> None:
    account = await create_account(settings)
    set_ = await gql(UPDATE, {"name": "  Grace Hopper "}, token=account.token)
    assert set_["data"]["updateProfile"] == {"user": {"displayName": "Grace Hopper"}, "errors": []}
    cleared = await gql(UPDATE, {"name": None}, token=account.token)
    assert cleared["data"]["updateProfile"] == {"user": {"displayName": None}, "errors": []}


async def test_update_profile_refuses_overlong_names(gql, settings) -> None:
    account = await create_account(settings)
    result = await gql(UPDATE, {"name": "x" * 101}, token=account.token)
    assert result["data"]["updateProfile"]["errors"] == [
        {"field": "displayName", "code": "INVALID"}
    ]
    assert (await User.get(id=account.user.id)).display_name is None


async def test_update_profile_needs_a_login_and_the_scope(gql, settings) -> None:
    account = await create_account(settings)
    reader = await create_pat(account.user, ["account:read"])
    assert (await gql(UPDATE, {"name": "x"}))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    forbidden = await gql(UPDATE, {"name": "x"}, token=reader)
    assert forbidden["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}
