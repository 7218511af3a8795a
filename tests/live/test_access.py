"""Subscriptions refuse foreign ids, missing scopes, anonymous callers and bad arguments,
with a clear error and never data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from api.core.ids import encode
from tests.factories.accounts import create_account, create_pat
from tests.factories.targets import create_target
from tests.live.helpers import LEGACY_WS, TRANSPORT_WS, subscribed

RESULTS = "subscription($w: ID, $t: ID) { checkResults(workspaceId: $w, targetId: $t) { id } }"
STATUS = "subscription($w: ID!) { targetStatusChanged(workspaceId: $w) { id status } }"


async def refusal(
    live: Any, token: str | None, document: str, variables: dict, subprotocol: str = TRANSPORT_WS
) -> dict[str, Any]:
    async with subscribed(live.url, token, document, variables, subprotocol=subprotocol) as sub:
        error = await sub.wait_error()
    assert isinstance(error, TransportQueryError), repr(error)
    assert sub.results == []
    return error.errors[0]  # type: ignore[index, no-any-return]


@pytest.mark.parametrize("subprotocol", [TRANSPORT_WS, LEGACY_WS])
async def test_another_workspaces_id_is_not_found(live, settings, subprotocol) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    variables = {"w": owner.workspace_gid}
    error = await refusal(live, stranger.token, RESULTS, variables, subprotocol)
    assert error["extensions"]["code"] == "NOT_FOUND"
    error = await refusal(live, stranger.token, STATUS, variables, subprotocol)
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_another_workspaces_target_is_not_found(live, settings) -> None:
    owner = await create_account(settings)
    stranger = await create_account(settings)
    target = await create_target(owner.workspace)
    error = await refusal(live, stranger.token, RESULTS, {"t": encode("Target", target.id)})
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "targetId"}


@pytest.mark.parametrize("bad_id", ["nonsense", encode("Workspace", 999999), encode("User", 1)])
async def test_unknown_or_malformed_ids_are_not_found(live, settings, bad_id) -> None:
    account = await create_account(settings)
    error = await refusal(live, account.token, RESULTS, {"w": bad_id})
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_anonymous_caller_is_unauthenticated(live, settings) -> None:
    owner = await create_account(settings)
    error = await refusal(live, None, RESULTS, {"w": owner.workspace_gid})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_token_without_the_scope_is_forbidden_naming_it(live, settings) -> None:
    account = await create_account(settings)
    pat = await create_pat(account.user, ["targets:read"])
    error = await refusal(live, pat, RESULTS, {"w": account.workspace_gid})
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "results:read"}
    pat = await create_pat(account.user, ["results:read"])
    error = await refusal(live, pat, STATUS, {"w": account.workspace_gid})
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "targets:read"}


@pytest.mark.parametrize("both", [True, False])
async def test_check_results_needs_exactly_one_of_target_or_workspace(live, settings, both):
    account = await create_account(settings)
    target = await create_target(account.workspace)
    variables = {"w": account.workspace_gid, "t": encode("Target", target.id)} if both else {}
    error = await refusal(live, account.token, RESULTS, variables)
    assert error["extensions"]["code"] == "INVALID"
    assert "exactly one of scope: {targetId} or scope: {workspaceId}" in error["message"]


async def test_a_bad_token_is_refused_at_connection_init(live) -> None:
    from gql.transport.exceptions import TransportConnectionFailed
    from websockets.exceptions import ConnectionClosed

    with pytest.raises(TransportConnectionFailed) as failed:
        async with subscribed(live.url, "hf_sess_forged", RESULTS, {"w": "x"}):
            pass
    closed = failed.value.__cause__
    assert isinstance(closed, ConnectionClosed)
    assert closed.rcvd is not None and closed.rcvd.code == 4403
    assert "hf_sess_forged" not in str(closed)


async def test_subscriptions_per_connection_are_limited(live, settings) -> None:
    from gql import GraphQLRequest

    from tests.live.helpers import wait_subscribers

    account = await create_account(settings)
    limit = settings.live_max_subscriptions_per_connection
    variables = {"w": account.workspace_gid}
    async with subscribed(live.url, account.token, RESULTS, variables) as first:
        session = first.client.session
        streams = [
            session.subscribe(GraphQLRequest(RESULTS, variable_values=variables))
            for _ in range(limit - 1)
        ]
        tasks = [asyncio.create_task(anext(stream)) for stream in streams]
        await wait_subscribers(live.relay, account.workspace.id, limit)
        extra = session.subscribe(GraphQLRequest(RESULTS, variable_values=variables))
        with pytest.raises(TransportQueryError) as refused:
            await asyncio.wait_for(anext(extra), 5)
        for task in tasks:
            task.cancel()
    assert refused.value.errors[0]["extensions"]["code"] == "LIMIT_REACHED"  # type: ignore[index]


async def test_a_removed_member_is_cut_off_at_once(live, gql, resources, settings) -> None:
    from api.workspaces.models import Role
    from tests.factories.accounts import add_member
    from tests.live.helpers import publish_result, wait_subscribers

    owner = await create_account(settings)
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    target = await create_target(owner.workspace)
    async with subscribed(live.url, member.token, RESULTS, {"w": owner.workspace_gid}) as sub:
        await wait_subscribers(live.relay, owner.workspace.id)
        await publish_result(resources, target)
        await sub.wait_results(1)

        removed = await gql(
            "mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) "
            "{ errors { code } } }",
            {"w": owner.workspace_gid, "u": encode("User", member.user.id)},
            token=owner.token,
        )
        assert removed["data"]["removeMember"]["errors"] == []

        # Its subscription ends and the socket closes with 4403 (reconnect with fresh
        # memberships); nothing more arrives.
        await asyncio.wait_for(asyncio.shield(sub._task), 5)
        transport = sub.client.transport
        deadline = asyncio.get_running_loop().time() + 5
        while transport.close_exception is None:
            assert asyncio.get_running_loop().time() < deadline, "the socket stayed open"
            await asyncio.sleep(0.02)
        await publish_result(resources, target)
        await asyncio.sleep(0.2)
    assert "4403" in repr(transport.close_exception.__cause__)
    assert len(sub.results) == 1
    assert live.relay.subscriber_count(owner.workspace.id) == 0
