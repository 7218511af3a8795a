from __future__ import annotations

from typing import Any
from unittest.mock import ANY

import httpx
import pytest

from api.accounts.models import Session, User
from api.core.tokens import hash_token
from tests.factories.accounts import PASSWORD, create_account

LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token user { email } errors { field code message } }
}"""
LOG_OUT = "mutation { logOut }"
VIEWER = "{ viewer { user { email } } }"
WRONG = {
    "token": None,
    "user": None,
    "errors": [{"field": None, "code": "WRONG_PASSWORD", "message": "Wrong e-mail or password."}],
}


def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kw):
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, **kw)


def _other_client(app: Any, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_login_returns_a_session_token_and_sets_the_cookie(client, settings) -> None:
    await create_account(settings, email="ada@example.test")

    response = await _post(client, LOG_IN, {"email": "Ada@Example.test", "password": PASSWORD})

    payload = response.json()["data"]["logIn"]
    assert payload["errors"] == []
    token = payload["token"]
    assert token.startswith("hf_sess_")
    # Stored hashed only.
    assert await Session.filter(token_hash=hash_token(token)).exists()
    assert not await Session.filter(token_hash=token).exists()
    cookie = response.headers["set-cookie"]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert attributes[0] == f"hitflow_session={token}".lower()
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert f"max-age={settings.session_ttl_days * 86400}" in attributes
    assert "secure" not in attributes  # plain-http public URL


async def test_the_cookie_alone_authenticates_queries(client, settings) -> None:
    await create_account(settings, email="cookie@example.test")
    await _post(client, LOG_IN, {"email": "cookie@example.test", "password": PASSWORD})
    assert client.cookies.get("hitflow_session")

    response = await _post(client, VIEWER)

    assert response.json() == {
        "extensions": ANY,
        "data": {"viewer": {"user": {"email": "cookie@example.test"}}},
    }


class TestOverHttps:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"public_url": "https://api.example.test"}

    async def test_the_cookie_is_secure_when_the_api_is_served_over_https(
        self, client, settings
    ) -> None:
        await create_account(settings, email="tls@example.test")
        response = await _post(client, LOG_IN, {"email": "tls@example.test", "password": PASSWORD})
        attributes = [p.strip().lower() for p in response.headers["set-cookie"].split(";")]
        assert "secure" in attributes


async def test_wrong_password_unknown_address_and_deactivated_account_answer_alike(
    gql, settings
) -> None:
    account = await create_account(settings, email="known@example.test")
    gone = await create_account(settings, email="gone@example.test")
    await User.filter(id=gone.user.id).update(is_active=False)

    wrong_password = await gql(LOG_IN, {"email": "known@example.test", "password": "nope" * 3})
    unknown = await gql(LOG_IN, {"email": "nobody@example.test", "password": "nope" * 3})
    deactivated = await gql(LOG_IN, {"email": "gone@example.test", "password": PASSWORD})
    malformed = await gql(LOG_IN, {"email": "not an address", "password": PASSWORD})

    for result in (wrong_password, unknown, deactivated, malformed):
        assert result == {"extensions": ANY, "data": {"logIn": WRONG}}
    assert await Session.filter(user=account.user).count() == 1  # the factory's only


async def test_failed_logins_are_throttled_per_account_even_across_ips(app, client, settings):
    await create_account(settings, email="target@example.test")
    limit = settings.login_max_failures_per_account
    for _ in range(limit):
        response = await _post(
            client, LOG_IN, {"email": "target@example.test", "password": "x" * 12}
        )
        assert response.json()["data"]["logIn"]["errors"][0]["code"] == "WRONG_PASSWORD"

    # Even the right password, from another IP, is refused until the window ends.
    async with _other_client(app, "198.51.100.9") as other:
        response = await _post(
            other, LOG_IN, {"email": "target@example.test", "password": PASSWORD}
        )

    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry_after = error["extensions"]["retryAfter"]
    assert 0 < retry_after <= settings.login_failure_window_seconds
    assert response.headers["retry-after"] == str(retry_after)
    # Other accounts are not affected.
    await create_account(settings, email="bystander@example.test")
    ok = await _post(client, LOG_IN, {"email": "bystander@example.test", "password": PASSWORD})
    assert ok.json()["data"]["logIn"]["token"]


class TestPerIp:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_max_failures_per_ip": 4, "login_max_failures_per_account": 100}

    async def test_failed_logins_are_throttled_per_ip_across_accounts(self, app, client, settings):
        await create_account(settings, email="real@example.test")
        for n in range(4):
            response = await _post(
                client, LOG_IN, {"email": f"u{n}@example.test", "password": "x" * 12}
            )
            assert response.json()["data"]["logIn"]["errors"][0]["code"] == "WRONG_PASSWORD"

        blocked = await _post(client, LOG_IN, {"email": "real@example.test", "password": PASSWORD})
        assert blocked.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

        # The same account from another address still works.
        async with _other_client(app, "198.51.100.10") as other:
            ok = await _post(other, LOG_IN, {"email": "real@example.test", "password": PASSWORD})
        assert ok.json()["data"]["logIn"]["token"]


async def test_a_successful_login_resets_the_account_counter(client, settings) -> None:
    await create_account(settings, email="forgetful@example.test")
    limit = settings.login_max_failures_per_account
    for _ in range(limit - 1):
        await _post(client, LOG_IN, {"email": "forgetful@example.test", "password": "x" * 12})
    ok = await _post(client, LOG_IN, {"email": "forgetful@example.test", "password": PASSWORD})
    assert ok.json()["data"]["logIn"]["token"]

    for _ in range(limit - 1):
        response = await _post(
            client, LOG_IN, {"email": "forgetful@example.test", "password": "x" * 12}
        )
        assert response.json()["data"]["logIn"]["errors"][0]["code"] == "WRONG_PASSWORD"


async def test_log_out_revokes_the_session_and_clears_the_cookie(client, settings) -> None:
    await create_account(settings, email="bye@example.test")
    login = await _post(client, LOG_IN, {"email": "bye@example.test", "password": PASSWORD})
    token = login.json()["data"]["logIn"]["token"]

    response = await _post(client, LOG_OUT, headers={"Authorization": f"Bearer {token}"})

    assert response.json() == {"extensions": ANY, "data": {"logOut": True}}
    cleared = response.headers["set-cookie"].lower()
    assert cleared.startswith('hitflow_session=""') or "max-age=0" in cleared
    assert not client.cookies.get("hitflow_session")
    again = await _post(client, VIEWER, headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401
    session = await Session.get(token_hash=hash_token(token))
    assert session.revoked_at is not None


async def test_log_out_when_anonymous_is_harmless(gql) -> None:
    assert await gql(LOG_OUT) == {"extensions": ANY, "data": {"logOut": False}}


async def test_overlong_password_is_just_wrong(gql, settings) -> None:
    await create_account(settings, email="long@example.test")
    result = await gql(LOG_IN, {"email": "long@example.test", "password": "y" * 100_000})
    assert result == {"extensions": ANY, "data": {"logIn": WRONG}}


async def test_log_out_with_the_cookie_alone(client, settings) -> None:
    await create_account(settings, email="cookie-out@example.test")
    await _post(client, LOG_IN, {"email": "cookie-out@example.test", "password": PASSWORD})

    response = await _post(client, LOG_OUT)

    assert response.json() == {"extensions": ANY, "data": {"logOut": True}}
    after = await _post(client, VIEWER)
    assert after.json() == {"extensions": ANY, "data": {"viewer": None}}


async def test_sign_ups_and_reset_requests_per_ip_are_capped(client) -> None:
    from api.accounts.mutations import ANONYMOUS_ACTIONS_PER_IP_PER_HOUR as cap

    reset = "mutation($e: String!) { requestPasswordReset(email: $e) }"
    for n in range(cap):
        ok = await _post(client, reset, {"e": f"r{n}@example.test"})
        assert ok.json() == {"extensions": ANY, "data": {"requestPasswordReset": True}}
    blocked = await _post(client, reset, {"e": "one-more@example.test"})
    assert blocked.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(blocked.headers["retry-after"]) > 0


async def test_a_cookie_cannot_drive_a_change_through_a_form_post_or_a_get(client, settings):
    account = await create_account(settings, email="csrf@example.test")
    await _post(client, LOG_IN, {"email": "csrf@example.test", "password": PASSWORD})
    change = 'mutation { updateProfile(displayName: "pwned") { errors { code } } }'

    form = await client.post("/graphql", data={"query": change})
    get = await client.get("/graphql", params={"query": change})

    assert form.status_code >= 400
    assert get.status_code >= 400
    assert (await User.get(id=account.user.id)).display_name is None
