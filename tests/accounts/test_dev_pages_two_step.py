"""The local-mode pages (no SPA) sign in in two steps for an account with a second factor:
a page's action (an OAuth consent, joining a workspace) needs a fully signed-in session."""

from __future__ import annotations

import json
import re

import pyotp
import pytest
from graphql import parse, validate

from api.schema import schema
from tests.accounts.helpers import phone
from tests.factories.accounts import PASSWORD, create_account

SECRET = pyotp.random_base32()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"app_url": None}


def _config(body: str) -> dict[str, object]:
    match = re.search(r"<script type='application/json' id='cfg'>(.*?)</script>", body, re.S)
    assert match, body
    return json.loads(match.group(1).replace("<\\/", "</"))  # type: ignore[no-any-return]


async def test_the_consent_page_signs_in_with_the_password_then_the_code(client, settings):
    await create_account(settings, email="ada@example.test", totp_secret=SECRET)
    page = await client.get("/oauth/consent", params={"request": "abc"})
    config = _config(page.text)
    assert 'id="mfa-code"' in page.text
    for name in ("logIn", "completeLogIn"):
        assert validate(schema._schema, parse(str(config[name]))) == [], name

    # What the page's script posts: the password first...
    first = await client.post(
        "/graphql",
        json={"query": config["logIn"], "variables": {"e": "ada@example.test", "p": PASSWORD}},
    )
    step = first.json()["data"]["logIn"]
    assert step["mfaRequired"] is True and not client.cookies.get("hitflow_session")
    # ... so approving now is refused: no session yet
    approve = await client.post(
        "/graphql", json={"query": str(config["mutation"]), "variables": {"token": "abc"}}
    )
    assert approve.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # ... then the code from the phone opens the session (as a cookie)
    second = await client.post(
        "/graphql",
        json={
            "query": config["completeLogIn"],
            "variables": {"t": step["mfaToken"], "c": phone(SECRET), "r": None},
        },
    )
    assert second.json()["data"]["completeLogIn"]["errors"] == []
    assert client.cookies.get("hitflow_session")
    viewer = await client.post("/graphql", json={"query": "{ viewer { user { email } } }"})
    assert viewer.json()["data"]["viewer"]["user"]["email"] == "ada@example.test"


async def test_pages_without_a_login_carry_no_login_documents(client) -> None:
    config = _config((await client.get("/verify-email", params={"token": "x"})).text)
    assert config["logIn"] is None and config["completeLogIn"] is None
