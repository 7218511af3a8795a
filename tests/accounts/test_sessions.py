"""viewer.sessions lists my open sessions; revoking one ends it and closes its websocket;
revokeOtherSessions keeps only mine; a new device gets a notice mail."""

from __future__ import annotations

import httpx

from tests.accounts.helpers import LOG_IN
from tests.factories.accounts import PASSWORD, create_account, create_pat
from tests.live.helpers import closed_code, open_socket

SESSIONS = "{ viewer { sessions { id ip device userAgent current createdAt lastSeenAt } } }"
REVOKE = "mutation($id: ID!) { revokeSession(id: $id) { deletedId errors { field code } } }"
REVOKE_OTHERS = "mutation { revokeOtherSessions }"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML) Chrome/128.0 Safari/537.36"


def _from(app, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _log_in(app, ip: str, user_agent: str, email: str) -> str:
    async with _from(app, ip) as http:
        response = await http.post(
            "/graphql",
            json={"query": LOG_IN, "variables": {"e": email, "p": PASSWORD}},
            headers={"User-Agent": user_agent},
        )
    return response.json()["data"]["logIn"]["token"]  # type: ignore[no-any-return]


async def test_sessions_are_listed_with_their_device_and_the_current_one(app, gql, settings):
    await create_account(settings, email="ada@example.test")
    laptop = await _log_in(app, "198.51.100.4", FIREFOX, "ada@example.test")
    await _log_in(app, "192.0.2.9", CHROME, "ada@example.test")

    result = await gql(SESSIONS, token=laptop)

    sessions = result["data"]["viewer"]["sessions"]
    assert len(sessions) == 3  # with the factory's
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1
    assert current[0]["ip"] == "198.51.100.4" and current[0]["device"] == "Firefox"
    assert {s["device"] for s in sessions} >= {"Firefox", "Chrome"}


async def test_revoking_a_session_ends_it_and_closes_its_websocket(live, app, gql, settings):
    account = await create_account(settings, email="ada@example.test")
    phone = await _log_in(app, "192.0.2.9", CHROME, "ada@example.test")
    ws = await open_socket(live.url, phone)
    mine = await open_socket(live.url, account.token)
    listing = (await gql(SESSIONS, token=account.token))["data"]["viewer"]["sessions"]
    phone_id = next(s["id"] for s in listing if s["ip"] == "192.0.2.9")

    result = await gql(REVOKE, {"id": phone_id}, token=account.token)

    assert result["data"]["revokeSession"] == {"deletedId": phone_id, "errors": []}
    assert await closed_code(ws) == 4401
    assert await closed_code(mine, timeout=0.3) is None
    await mine.close()
    gone = await gql("{ viewer { user { email } } }", token=account.token)
    assert gone["data"]["viewer"]["user"]["email"] == "ada@example.test"
    again = await gql(REVOKE, {"id": phone_id}, token=account.token)
    assert again["data"]["revokeSession"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]


async def test_another_users_session_reads_as_not_found(app, gql, settings) -> None:
    ada = await create_account(settings, email="ada@example.test")
    eve = await create_account(settings, email="eve@example.test")
    ada_sessions = (await gql(SESSIONS, token=ada.token))["data"]["viewer"]["sessions"]

    result = await gql(REVOKE, {"id": ada_sessions[0]["id"]}, token=eve.token)
    node = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": ada_sessions[0]["id"]}, token=eve.token
    )
    anonymous = await gql(REVOKE, {"id": ada_sessions[0]["id"]})

    assert result["data"]["revokeSession"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    assert node["data"]["node"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    still = await gql("{ viewer { user { email } } }", token=ada.token)
    assert still["data"]["viewer"]["user"]["email"] == "ada@example.test"


async def test_a_token_without_account_write_cannot_revoke(app, gql, settings) -> None:
    ada = await create_account(settings, email="ada@example.test")
    reader = await create_pat(ada.user, ["account:read"])
    listing = (await gql(SESSIONS, token=ada.token))["data"]["viewer"]["sessions"]

    result = await gql(REVOKE, {"id": listing[0]["id"]}, token=reader)
    others = await gql(REVOKE_OTHERS, token=reader)

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert others["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_revoke_other_sessions_keeps_only_the_current_one(live, app, gql, settings):
    account = await create_account(settings, email="ada@example.test")
    others = [await _log_in(app, f"192.0.2.{i}", CHROME, "ada@example.test") for i in (1, 2)]
    sockets = [await open_socket(live.url, t) for t in others]

    result = await gql(REVOKE_OTHERS, token=account.token)

    assert result["data"] == {"revokeOtherSessions": 2}
    assert [await closed_code(ws) for ws in sockets] == [4401, 4401]
    listing = (await gql(SESSIONS, token=account.token))["data"]["viewer"]["sessions"]
    assert [s["current"] for s in listing] == [True]


async def test_a_sign_in_from_a_new_device_is_mailed(app, settings, mailbox, run_core_jobs):
    await create_account(settings, email="ada@example.test")
    await _log_in(app, "198.51.100.4", FIREFOX, "ada@example.test")  # first known device
    await _log_in(app, "198.51.100.77", FIREFOX, "ada@example.test")  # same browser, same /24
    await run_core_jobs()
    assert mailbox.to("ada@example.test") == []

    await _log_in(app, "203.0.113.50", FIREFOX, "ada@example.test")  # another network
    await _log_in(app, "198.51.100.4", CHROME, "ada@example.test")  # another browser
    await run_core_jobs()

    notices = [m for m in mailbox.to("ada@example.test") if m["Subject"].startswith("New sign-in")]
    assert len(notices) == 2
    assert "203.0.113.50" in notices[0].get_content()
    assert "http://app.test/account/security" in notices[0].get_content()
