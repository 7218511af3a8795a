"""Revoking a session or token ends its live websockets within seconds (close 4401)."""

from __future__ import annotations

import asyncio
import json
from unittest.mock import ANY

import pytest
from websockets.asyncio.client import connect

from api.accounts.sessions import revoke_everything
from tests.factories.accounts import create_account, create_pat
from tests.live.helpers import LEGACY_WS, TRANSPORT_WS, closed_code, open_socket

LOG_OUT = "mutation { logOut }"
REVOKE_PAT = "mutation($id: ID!) { revokePersonalAccessToken(id: $id) { errors { code } } }"


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_log_out_closes_the_sessions_websocket(live, gql, settings, subprotocol) -> None:
    # Given a client with a websocket open on its session, and a second session open too
    account = await create_account(settings)
    other = await create_account(settings)
    ws = await open_socket(live.url, account.token, subprotocol)
    bystander = await open_socket(live.url, other.token, subprotocol)

    # When it logs out through GraphQL
    result = await gql(LOG_OUT, token=account.token)
    assert result == {"extensions": ANY, "data": {"logOut": True}}

    # Then its websocket is closed within seconds with 4401; others stay open
    assert await closed_code(ws) == 4401
    assert await closed_code(bystander, timeout=0.3) is None
    await bystander.close()


async def test_revoking_a_token_closes_only_that_tokens_websocket(live, gql, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["results:read", "account:write"])
    ws_pat = await open_socket(live.url, pat)
    ws_session = await open_socket(live.url, account.token)
    listing = await gql("{ viewer { personalAccessTokens { id } } }", token=account.token)
    pat_id = listing["data"]["viewer"]["personalAccessTokens"][0]["id"]

    result = await gql(REVOKE_PAT, {"id": pat_id}, token=account.token)
    assert result["data"]["revokePersonalAccessToken"]["errors"] == []

    assert await closed_code(ws_pat) == 4401
    assert await closed_code(ws_session, timeout=0.3) is None
    await ws_session.close()


async def test_account_deletion_closes_every_websocket_of_the_user(live, resources, settings):
    account = await create_account(settings)
    pat = await create_pat(account.user, ["results:read"])
    sockets = [await open_socket(live.url, account.token), await open_socket(live.url, pat)]

    await revoke_everything(resources.redis, account.user.id)

    assert [await closed_code(ws) for ws in sockets] == [4401, 4401]


async def test_a_revoked_token_cannot_open_a_websocket(live, gql, settings) -> None:
    account = await create_account(settings)
    await gql(LOG_OUT, token=account.token)
    ws = await connect(live.url, subprotocols=[TRANSPORT_WS])
    payload = {"authorization": f"Bearer {account.token}"}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert await closed_code(ws) == 4403


class FakeSocket:
    def __init__(self) -> None:
        self.scope: dict = {}
        self.closed_with: int | None = None

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = code


async def test_oauth_revocations_match_kind_and_credential(resources) -> None:
    from api.auth.principal import Principal
    from api.live.relay import Relay

    relay = Relay(resources, {})
    sockets = {}
    for name, principal in {
        "client5": Principal(kind="client", user_id=None, credential_id=5),
        "client6": Principal(kind="client", user_id=None, credential_id=6),
        "oauth5": Principal(kind="oauth", user_id=9, credential_id=5),
        "session5": Principal(kind="session", user_id=9, credential_id=5),
    }.items():
        sockets[name] = FakeSocket()
        relay.connect(sockets[name], principal, None)  # type: ignore[arg-type]

    # A client-credentials token (no user) and a user's OAuth token, revoked by id.
    await relay.dispatch(
        {"type": "revocation", "userId": None, "kind": "client", "credentialIds": [5]}
    )
    await relay.dispatch({"type": "revocation", "userId": 9, "kind": "oauth", "credentialIds": [5]})
    await asyncio.sleep(0.05)
    assert {name: ws.closed_with for name, ws in sockets.items()} == {
        "client5": 4401, "client6": None, "oauth5": 4401, "session5": None,
    }  # fmt: skip
