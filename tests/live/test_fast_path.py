"""The broadcast fast path (api.live.fastpath): an event reaches every subscriber as a frame
pre-encoded once, sent straight to the socket, never through strawberry's encoder.

Without it every test would still pass (strawberry's ordinary path delivers the same data),
so an upstream rename that bypassed our handlers would lose it silently: this test watches
strawberry's public JSON hook (`encode_json`, which every message of the ordinary path goes
through) and fails as soon as an event frame is encoded there.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.core.ids import encode
from api.graphql.endpoint import HitflowGraphQL
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.live.helpers import LEGACY_WS, TRANSPORT_WS, publish_result, subscribed, wait_subscribers

DOCUMENT = "subscription($w: ID) { checkResults(workspaceId: $w) { id status target { id } } }"
EVENT_FRAMES = {TRANSPORT_WS: "next", LEGACY_WS: "data"}  # the message type of an event


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_an_event_for_two_subscribers_is_sent_pre_encoded(
    live, resources, settings, monkeypatch, subprotocol
) -> None:
    encoded: list[Any] = []
    strawberry_encode = HitflowGraphQL.encode_json

    def encode_json(view: HitflowGraphQL, data: object) -> str | bytes:
        encoded.append(data)
        return strawberry_encode(view, data)

    monkeypatch.setattr(HitflowGraphQL, "encode_json", encode_json)

    # Given one user subscribed twice (a laptop and a phone) to their workspace's results
    account = await create_account(settings)
    target = await create_target(account.workspace)
    variables = {"w": account.workspace_gid}
    async with (
        subscribed(live.url, account.token, DOCUMENT, variables, subprotocol=subprotocol) as a,
        subscribed(live.url, account.token, DOCUMENT, variables, subprotocol=subprotocol) as b,
    ):
        await wait_subscribers(live.relay, account.workspace.id, count=2)

        # When the ingest publishes one result
        row = await publish_result(resources, target, status="DOWN")

        # Then both receive it...
        (laptop,) = await a.wait_results(1)
        (phone,) = await b.wait_results(1)
    expected = {
        "id": encode("CheckResult", row["id"]),
        "status": "DOWN",
        "target": {"id": encode("Target", target.id)},
    }
    assert laptop == phone == {"checkResults": expected}

    # ...and neither frame went through strawberry's encoder, which did see the handshake
    # (so the hook watched is the one strawberry's websocket messages use).
    kinds = [m.get("type") for m in encoded if isinstance(m, dict)]
    assert kinds.count("connection_ack") == 2, kinds
    assert EVENT_FRAMES[subprotocol] not in kinds, "an event took strawberry's ordinary path"
