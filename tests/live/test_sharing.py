"""A live event is executed once per (document, variables, rights) and never shared
between principals with different rights."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import strawberry

from api.auth.principal import Principal
from api.live.sharing import CURRENT_EXECUTION, SharedEvent, SharingExecutionContext
from api.workspaces.models import Role

calls: list[int | None] = []


@dataclass
class FakeContext:
    principal: Principal
    feed: asyncio.Queue


@strawberry.type
class Item:
    value: int

    @strawberry.field
    def seen_by(self, info: strawberry.Info) -> int | None:
        calls.append(info.context.principal.user_id)
        return info.context.principal.user_id  # type: ignore[no-any-return]

    @strawberry.field
    def broken(self) -> int:
        raise ValueError("boom")


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def items(self, info: strawberry.Info, tag: str = "") -> AsyncGenerator[Item, None]:
        while True:
            yield await info.context.feed.get()


schema = strawberry.Schema(
    query=Query, subscription=Subscription, execution_context_class=SharingExecutionContext
)
DOCUMENT = "subscription($tag: String) { items(tag: $tag) { value seenBy } }"


def principal(user_id: int) -> Principal:
    return Principal(
        kind="session", user_id=user_id, scopes=frozenset({"results:read"}),
        memberships={1: Role.MEMBER}, credential_id=user_id,
    )  # fmt: skip


async def test_same_rights_share_one_execution_other_principals_do_not() -> None:
    calls.clear()
    contexts = [
        FakeContext(principal(7), asyncio.Queue()),  # a user's laptop
        FakeContext(principal(7), asyncio.Queue()),  # the same user's phone
        FakeContext(principal(8), asyncio.Queue()),  # a colleague
    ]
    variables: list[dict[str, Any]] = [{"tag": "a"}, {"tag": "a"}, {"tag": "a"}]
    streams = [
        await schema.subscribe(DOCUMENT, variable_values=v, context_value=c)
        for c, v in zip(contexts, variables, strict=True)
    ]
    event = SharedEvent(Item(value=42))
    for context in contexts:
        context.feed.put_nowait(event)
    results = [await anext(stream) for stream in streams]  # type: ignore[call-overload]

    assert [r.data for r in results] == [
        {"items": {"value": 42, "seenBy": 7}},
        {"items": {"value": 42, "seenBy": 7}},
        {"items": {"value": 42, "seenBy": 8}},
    ]
    assert sorted(calls) == [7, 8]  # user 7's two subscriptions executed once
    for stream in streams:
        await stream.aclose()  # type: ignore[union-attr]


async def test_different_variables_are_executed_separately() -> None:
    calls.clear()
    contexts = [FakeContext(principal(7), asyncio.Queue()) for _ in range(2)]
    streams = [
        await schema.subscribe(DOCUMENT, variable_values={"tag": tag}, context_value=c)
        for c, tag in zip(contexts, ["a", "b"], strict=True)
    ]
    event = SharedEvent(Item(value=1))
    for context in contexts:
        context.feed.put_nowait(event)
    for stream in streams:
        await anext(stream)  # type: ignore[call-overload]
        await stream.aclose()  # type: ignore[union-attr]
    assert calls == [7, 7]


async def test_fast_path_encodes_one_payload_per_rights_and_never_shares_errors() -> None:
    """The broadcast fast path: the frame payload JSON is computed once per (event,
    document, variables, rights); a result with errors is not shared (None: the
    subscriber takes strawberry's ordinary path, which masks and reports it)."""
    executions, streams = [], []
    for user_id in (7, 7, 8):
        execution, stream = await subscribed(DOCUMENT, principal(user_id), {"tag": "a"})
        executions.append(execution)
        streams.append(stream)
    calls.clear()
    event = SharedEvent(Item(value=42))
    texts = [await execution.payload_json(event) for execution in executions]

    assert texts[0] is texts[1]  # the same string, encoded once
    assert json.loads(texts[0]) == {"data": {"items": {"value": 42, "seenBy": 7}}}
    assert json.loads(texts[2]) == {"data": {"items": {"value": 42, "seenBy": 8}}}
    assert sorted(calls) == [7, 8]

    execution, stream = await subscribed("subscription { items { broken } }", principal(7))
    streams.append(stream)
    assert await execution.payload_json(SharedEvent(Item(value=1))) is None
    for stream in streams:
        await stream.aclose()


async def subscribed(
    document: str, who: Principal, variables: dict[str, Any] | None = None
) -> tuple[Any, Any]:
    """A started subscription and its execution context (set while it starts)."""
    context = FakeContext(who, asyncio.Queue())
    stream: Any = await schema.subscribe(document, variable_values=variables, context_value=context)
    context.feed.put_nowait(Item(value=0))  # a plain (unshared) first event starts it
    await anext(stream)
    return CURRENT_EXECUTION.get(), stream
