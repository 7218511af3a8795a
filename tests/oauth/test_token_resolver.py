"""OAuth access tokens resolve in any process, whether or not it loaded the OAuth routes."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.factories.accounts import create_account
from tests.oauth.helpers import register_client

# A process that knows nothing of OAuth but api.auth.resolve: like a worker or a script.
RESOLVE = """
import asyncio, json, sys
from tortoise import Tortoise
from api.auth.resolve import resolve_token
from api.db import tortoise_config
from api.settings import Settings

async def main():
    await Tortoise.init(config=tortoise_config(sys.argv[1]))
    try:
        principal = await resolve_token(sys.stdin.read(), Settings())
    finally:
        await Tortoise.close_connections()
    loaded = sorted(m for m in sys.modules if m.startswith("api.oauth"))
    print(json.dumps({
        "kind": principal and principal.kind,
        "workspaces": principal and principal.workspace_ids,
        "loaded": loaded,
    }))

asyncio.run(main())
"""


def resolve_elsewhere(token: str, database_url: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", RESOLVE, database_url],
        input=token,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


async def test_access_token_resolves_without_the_oauth_routes(
    client, gql, settings, database_url
) -> None:
    # Given an access token issued by the authorization server
    owner = await create_account(settings)
    registered = await register_client(gql, owner, confidential=True, scopes=["targets:read"])
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered["client"]["clientId"], registered["clientSecret"]),
    )
    assert response.status_code == 200
    token = response.json()["access_token"]

    # When a process that never imported the OAuth routes nor the schema resolves it
    found = resolve_elsewhere(token, database_url)

    # Then it is the client's principal, not a revoked token
    assert found["kind"] == "client"
    assert found["workspaces"] == [owner.workspace.id]
    assert "api.oauth.routes" not in found["loaded"]
    assert "api.oauth.queries" not in found["loaded"]


async def test_unknown_access_token_is_refused_elsewhere(database_url) -> None:
    found = resolve_elsewhere("hf_at_" + "x" * 40, database_url)
    assert found["kind"] is None
