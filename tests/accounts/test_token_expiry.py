"""Personal access tokens with an expiry: refused after it, lastUsedAt kept, and their
owner mailed once a week before (the core worker's hourly job)."""

from __future__ import annotations

from datetime import timedelta

from api.core import clock
from tests.factories.accounts import create_account
from workers.jobs.accounts import notify_expiring_tokens

CREATE = """mutation($at: DateTime) { createPersonalAccessToken(name: "ci", scopes: ["account:read"],
  expiresAt: $at) { token errors { field code } } }"""
LIST = "{ viewer { personalAccessTokens { name expiresAt lastUsedAt } } }"
ME = "{ viewer { user { email } } }"


def _iso(delta: timedelta) -> str:
    return (clock.now() + delta).isoformat()


async def test_an_expired_token_stops_working(client, gql, settings) -> None:
    account = await create_account(settings, email="ada@example.test")
    created = await gql(CREATE, {"at": _iso(timedelta(days=30))}, token=account.token)
    token = created["data"]["createPersonalAccessToken"]["token"]

    assert (await gql(ME, token=token))["data"]["viewer"]["user"]["email"] == "ada@example.test"
    listed = (await gql(LIST, token=account.token))["data"]["viewer"]["personalAccessTokens"]
    assert listed[0]["expiresAt"] is not None and listed[0]["lastUsedAt"] is not None

    clock.advance(timedelta(days=30, seconds=1))

    response = await client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


async def test_expiry_must_be_between_an_hour_and_a_year_ahead(gql, settings) -> None:
    account = await create_account(settings)
    for delta in (timedelta(minutes=-5), timedelta(minutes=30), timedelta(days=400)):
        result = await gql(CREATE, {"at": _iso(delta)}, token=account.token)
        assert result["data"]["createPersonalAccessToken"]["errors"] == [
            {"field": "expiresAt", "code": "INVALID"}
        ]
    naive = await gql(CREATE, {"at": "2030-01-01T00:00:00"}, token=account.token)
    assert naive["data"]["createPersonalAccessToken"]["errors"][0]["field"] == "expiresAt"
    forever = await gql(CREATE, {"at": None}, token=account.token)
    assert forever["data"]["createPersonalAccessToken"]["token"]


async def test_the_owner_is_mailed_once_a_week_before_expiry(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings, email="ada@example.test")
    await gql(CREATE, {"at": _iso(timedelta(days=10))}, token=account.token)
    await gql(CREATE, {"at": None}, token=account.token)
    ctx = {"resources": resources}

    assert await notify_expiring_tokens(ctx) == 0  # 10 days ahead: not yet
    clock.advance(timedelta(days=3, hours=1))
    assert await notify_expiring_tokens(ctx) == 1
    assert await notify_expiring_tokens(ctx) == 0  # once
    await run_core_jobs()

    mails = [m for m in mailbox.to("ada@example.test") if "expires soon" in m["Subject"]]
    assert len(mails) == 1
    assert '"ci"' in mails[0]["Subject"]
