"""The JavaScript `graphql-ws` client (what the SPA uses), run with Node, receives results
and gets clear errors."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from api.core.ids import encode
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import publish_result, wait_subscribers

JS = Path(__file__).parent / "js"
NODE = shutil.which("node")
NPM = shutil.which("npm")
RESULTS = "subscription($w: ID) { checkResults(workspaceId: $w) { id status error } }"

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="node/npm not installed: the graphql-ws client needs Node"
)


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """`npm ci` into tests/live/js once (node_modules is git-ignored and kept between runs)."""
    modules = JS / "node_modules"
    if not all((modules / name).exists() for name in ("graphql", "graphql-ws", "ws")):
        done = subprocess.run(
            [str(NPM), "ci", "--no-audit", "--no-fund"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, f"npm ci failed in {JS}:\n{done.stderr[-2000:]}"
    return modules


class NodeClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert raw, "the node client exited without output"
        return json.loads(raw)  # type: ignore[no-any-return]


async def run_node(url: str, token: str, variables: dict[str, Any], count: int = 1) -> NodeClient:
    args = {"url": url, "token": token, "query": RESULTS, "variables": variables, "count": count}
    process = await asyncio.create_subprocess_exec(
        str(NODE),
        str(JS / "client.mjs"),
        json.dumps(args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return NodeClient(process)


async def test_graphql_ws_client_receives_check_results(
    node_modules, live, resources, settings
) -> None:
    account = await create_account(settings)
    target = await create_target(account.workspace)
    client = await run_node(live.url, account.token, {"w": account.workspace_gid}, count=2)
    assert await client.line() == {"event": "connected"}
    await wait_subscribers(live.relay, account.workspace.id)

    first = await publish_result(resources, target, status="DOWN", error="refused")
    second = await publish_result(resources, target)

    lines = [await client.line(), await client.line()]
    assert [line["data"]["checkResults"] for line in lines] == [
        {"id": encode("CheckResult", first["id"]), "status": "DOWN", "error": "refused"},
        {"id": encode("CheckResult", second["id"]), "status": "UP", "error": None},
    ]
    assert await asyncio.wait_for(client.process.wait(), 10) == 0


async def test_graphql_ws_client_gets_not_found_for_another_workspace(
    node_modules, live, settings
) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    client = await run_node(live.url, stranger.token, {"w": owner.workspace_gid})
    assert await client.line() == {"event": "connected"}
    error = await client.line()
    assert error["event"] == "error"
    assert error["error"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await asyncio.wait_for(client.process.wait(), 10) == 1
