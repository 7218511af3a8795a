"""requestAccountDeletion mails a single-use link; confirmAccountDeletion locks the
account at once: login refused, every token dead (401), live sockets closed, checks
stopped, deletionScheduledFor set."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from unittest.mock import ANY

import pytest

from api.accounts.models import User
from api.core import clock
from api.events import events_channel
from api.oauth.models import OAuthToken
from api.settings import SettingsError, load_settings
from api.targets.models import Target, TargetStatus
from api.targets.schedule import DUE_KEY, schedule_target
from tests.factories.accounts import PASSWORD, add_member, create_account, create_pat
from tests.factories.targets import create_target
from tests.privacy.helpers import (
    CONFIRM_DELETION,
    REQUEST_DELETION,
    deletion_link_token,
    fill_account,
)

LOG_IN = """mutation($e: String!, $p: String!) {
  logIn(email: $e, password: $p) { token errors { code } } }"""
VIEWER = "{ viewer { user { email deletionScheduledFor } } }"


async def test_wrong_password_sends_nothing(gql, settings, mailbox, run_core_jobs) -> None:
    ada = await create_account(settings)
    result = await gql(REQUEST_DELETION, {"p": "not my password"}, token=ada.token)
    assert result == {"extensions": ANY, "data": {"requestAccountDeletion": False}}
    await run_core_jobs()
    assert mailbox.to(ada.user.email) == []


async def test_confirmation_locks_the_account_at_once(
    gql, client, settings, resources, mailbox, run_core_jobs
) -> None:
    # Given an account with a session, a PAT, an OAuth token and a scheduled target
    ada = await create_account(settings, email="ada@example.test")
    pat = await create_pat(ada.user, ["account:read"])
    rows = await fill_account(ada, resources.keyring)
    await schedule_target(resources.redis, rows["target"])
    assert await gql(REQUEST_DELETION, {"p": PASSWORD}, token=ada.token) == {
        "extensions": ANY,
        "data": {"requestAccountDeletion": True},
    }
    await run_core_jobs()
    token = deletion_link_token(mailbox, "ada@example.test")
    # (the account still works until the link is used)
    assert (await gql(VIEWER, token=ada.token))["data"]["viewer"]["user"]["email"]

    pubsub = resources.redis.pubsub()
    await pubsub.subscribe(events_channel(resources.redis))

    # When the link is confirmed (anonymously: the link is the credential)
    assert await gql(CONFIRM_DELETION, {"t": token}) == {
        "extensions": ANY,
        "data": {"confirmAccountDeletion": True},
    }

    # Then the old session and PAT are refused with 401
    for old in (ada.token, pat):
        response = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {old}"}
        )
        assert response.status_code == 401
    # logIn answers exactly like a wrong password
    result = await gql(LOG_IN, {"e": "ada@example.test", "p": PASSWORD})
    assert result["data"]["logIn"] == {"token": None, "errors": [{"code": "WRONG_PASSWORD"}]}
    # the revocation event that closes live subscriptions was published
    event = await _next_event(pubsub)
    assert event == {"type": "revocation", "userId": ada.user.id, "all": True}
    await pubsub.aclose()
    # OAuth grants revoked, checks stopped, purge date set within the grace period
    assert await OAuthToken.filter(user_id=ada.user.id, revoked_at=None).count() == 0
    target = await Target.get(id=rows["target"].id)
    assert target.paused and target.status == TargetStatus.PAUSED
    assert await resources.redis.zscore(DUE_KEY, str(target.id)) is None
    user = await User.get(id=ada.user.id)
    assert not user.is_active
    delta = user.deletion_scheduled_for - clock.now()
    assert timedelta(days=settings.deletion_grace_days - 1) < delta
    assert delta <= timedelta(days=settings.deletion_grace_days)
    # The link works once
    assert await gql(CONFIRM_DELETION, {"t": token}) == {
        "extensions": ANY,
        "data": {"confirmAccountDeletion": False},
    }


async def _next_event(pubsub: Any) -> dict[str, Any]:
    async with asyncio.timeout(3):
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message and message["type"] == "message":
                event = json.loads(message["data"])
                if event["type"] == "revocation":
                    return event  # type: ignore[no-any-return]


async def test_the_link_expires_after_24_hours(gql, settings, mailbox, run_core_jobs) -> None:
    ada = await create_account(settings)
    await gql(REQUEST_DELETION, {"p": PASSWORD}, token=ada.token)
    await run_core_jobs()
    token = deletion_link_token(mailbox, ada.user.email)
    clock.advance(timedelta(hours=24, minutes=1))
    assert await gql(CONFIRM_DELETION, {"t": token}) == {
        "extensions": ANY,
        "data": {"confirmAccountDeletion": False},
    }
    assert (await User.get(id=ada.user.id)).is_active


async def test_a_bogus_token_is_false(gql) -> None:
    for bogus in ("", "hf_mail_nope", "x" * 5000):
        assert await gql(CONFIRM_DELETION, {"t": bogus}) == {
            "extensions": ANY,
            "data": {"confirmAccountDeletion": False},
        }


async def test_a_colleagues_workspace_keeps_running(
    gql, settings, resources, mailbox, run_core_jobs
) -> None:
    # Ada is a member (not the owner) of Bob's workspace: its checks are not paused
    from api.workspaces.models import Role

    ada = await create_account(settings)
    bob = await create_account(settings)
    await add_member(bob.workspace, ada.user, Role.ADMIN)
    bobs = await create_target(bob.workspace, name="Bob site", status=TargetStatus.UP)
    await gql(REQUEST_DELETION, {"p": PASSWORD}, token=ada.token)
    await run_core_jobs()
    await gql(CONFIRM_DELETION, {"t": deletion_link_token(mailbox, ada.user.email)})
    assert not (await Target.get(id=bobs.id)).paused


async def test_access_rules(gql, settings) -> None:
    ada = await create_account(settings)
    anonymous = await gql(REQUEST_DELETION, {"p": PASSWORD})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    read_only = await create_pat(ada.user, ["account:read"])
    forbidden = await gql(REQUEST_DELETION, {"p": PASSWORD}, token=read_only)
    assert forbidden["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "account:write"}


async def test_attempts_are_rate_limited(gql, settings) -> None:
    ada = await create_account(settings)
    codes = []
    for _ in range(7):
        result = await gql(REQUEST_DELETION, {"p": "guess"}, token=ada.token)
        codes.append(result["errors"][0]["extensions"]["code"] if "errors" in result else "ok")
    assert codes[:5] == ["ok"] * 5 and codes[-1] == "RATE_LIMITED"


@pytest.mark.parametrize(
    ("grace", "backups"), [(31, 1), (25, 10)], ids=["grace-over-30", "sum-over-30"]
)
def test_grace_and_backup_retention_cannot_exceed_30_days(grace: int, backups: int) -> None:
    with pytest.raises(SettingsError, match="HITFLOW_DELETION_GRACE_DAYS"):
        load_settings(deletion_grace_days=grace, backup_retention_days=backups)
