"""Misuse of the websocket protocols gets a clear, coded answer, never INTERNAL."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from tests.factories.accounts import create_account
from tests.live.helpers import LEGACY_WS, TRANSPORT_WS, closed_code, open_socket


async def first_message(ws: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if message["type"] != "ka":
            return message  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "query", ["{ viewer { user { id } } }", "mutation { updateProfile { errors { code } } }"]
)
async def test_query_over_the_legacy_protocol_is_a_clear_error(live, settings, query) -> None:
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token, LEGACY_WS)
    try:
        await ws.send(json.dumps({"type": "start", "id": "1", "payload": {"query": query}}))
        message = await first_message(ws)
    finally:
        await ws.close()
    assert message["type"] == "error"
    assert message["payload"]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "only subscriptions" in message["payload"]["message"]


async def test_invalid_document_over_the_transport_protocol_is_coded(live, settings) -> None:
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token, TRANSPORT_WS)
    try:
        payload = {"query": "subscription { nope }"}
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
        message = await first_message(ws)
    finally:
        await ws.close()
    assert message["type"] == "error"
    assert [e["extensions"]["code"] for e in message["payload"]] == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize("variables", ["[" * 5000 + "]" * 5000, '{"a": NaN}', '{"a": 1e999}'])
async def test_non_json_frames_close_the_socket_with_4400(live, settings, variables) -> None:
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token, TRANSPORT_WS)
    frame = (
        '{"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": '
        + variables
        + "}}"
    )
    await ws.send(frame)
    assert await closed_code(ws) == 4400


def _tracebacks(caplog: Any, capfd: Any) -> list[str]:
    """Log records carrying a traceback, and traceback text on the console."""
    out, err = capfd.readouterr()
    found = [r.getMessage() for r in caplog.records if r.exc_info or r.exc_text]
    found += [line for line in (out + err).splitlines() if "Traceback" in line]
    return found


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("subscription { targetStatusChanged(", "GRAPHQL_PARSE_FAILED"),
        (
            'subscription { targetStatusChanged(workspaceId: "1") { nope } }',
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
)
async def test_bad_subscription_over_the_transport_protocol_is_an_error_message(
    live, settings, caplog, capfd, query, code
) -> None:
    caplog.set_level(logging.INFO)
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token, TRANSPORT_WS)
    try:
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
        message = await first_message(ws)
        # The socket stays usable: a ping is still answered.
        await ws.send(json.dumps({"type": "ping"}))
        pong = await first_message(ws)
    finally:
        await ws.close()
    assert message["type"] == "error", message
    assert message["id"] == "1"
    assert [e["extensions"]["code"] for e in message["payload"]] == [code]
    if code == "GRAPHQL_PARSE_FAILED":
        assert "Syntax Error" in message["payload"][0]["message"]
    assert pong["type"] == "pong"
    assert _tracebacks(caplog, capfd) == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("subscription { targetStatusChanged(", "GRAPHQL_PARSE_FAILED"),
        (
            'subscription { targetStatusChanged(workspaceId: "1") { nope } }',
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
)
async def test_bad_subscription_over_the_legacy_protocol_is_an_error_payload(
    live, settings, caplog, capfd, query, code
) -> None:
    caplog.set_level(logging.INFO)
    account = await create_account(settings)
    ws = await open_socket(live.url, account.token, LEGACY_WS)
    try:
        await ws.send(json.dumps({"type": "start", "id": "1", "payload": {"query": query}}))
        message = await first_message(ws)
    finally:
        await ws.close()
    assert message["type"] == "error", message
    assert message["id"] == "1"
    assert message["payload"]["extensions"]["code"] == code
    assert _tracebacks(caplog, capfd) == []
