"""Execute a live event once per (operation, variables, principal), not once per socket.

The relay hands every subscriber of an event the same `SharedEvent`. When several
subscriptions run the same document with the same variables for principals with the
same rights (a user's tabs and devices, a wall screen...), graphql-core's per-event
execution runs once and the others reuse its result. Results with errors are never
shared. Everything else (queries, mutations, other payloads) executes as usual.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class SharedEvent:
    """One event's GraphQL object and the results already computed for it."""

    __slots__ = ("payloads", "results", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.results: dict[tuple[Any, ...], asyncio.Future[ExecutionResult]] = {}
        # share key -> the JSON of the frame payload ({"data": ...}), None = not shareable
        self.payloads: dict[tuple[Any, ...], asyncio.Future[str | None]] = {}


# The execution context of the subscription being set up in this task: the resolver of a
# live subscription hands it to its subscriber (the fast path executes events with it).
CURRENT_EXECUTION: ContextVar[Any] = ContextVar("hitflow_live_execution", default=None)


def _principal_key(context: Any) -> tuple[Any, ...] | None:
    principal = getattr(context, "principal", None)
    if principal is None or principal.user_id is None:
        return None
    return (
        principal.user_id,
        principal.scopes,
        tuple(sorted((k, str(v)) for k, v in principal.memberships.items())),
        principal.is_staff,
    )


class _Cached:
    """A per-event 'executor' whose result another subscriber is computing or computed."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[ExecutionResult]) -> None:
        self.future = future

    def execute_operation(self, serially: bool | None = None) -> Awaitable[ExecutionResult]:
        return asyncio.shield(self.future)


class _Recording:
    __slots__ = ("executor", "future", "key", "results")

    def __init__(self, executor: Any, results: dict, key: tuple[Any, ...]) -> None:
        self.executor = executor
        self.results = results
        self.key = key
        self.future: asyncio.Future[ExecutionResult] = asyncio.get_running_loop().create_future()
        results[key] = self.future

    async def execute_operation(self, serially: bool | None = None) -> ExecutionResult:
        try:
            result = self.executor.execute_operation(serially)
            if self.executor.is_awaitable(result):
                result = await result
        except BaseException as exc:
            self.results.pop(self.key, None)
            if not self.future.done():
                self.future.set_exception(exc)
                self.future.exception()  # retrieved: waiters re-raise it themselves
            raise
        if result.errors:  # errors may depend on the caller: never shared
            self.results.pop(self.key, None)
        if not self.future.done():
            self.future.set_result(result)
        return result


class SharingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    _live_key: tuple[Any, ...] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        CURRENT_EXECUTION.set(self)

    def _share_key(self) -> tuple[Any, ...] | None:
        """What makes two subscriptions' results identical; computed once per subscription."""
        try:
            return self._live_key
        except AttributeError:
            pass
        principal = _principal_key(self.context_value)
        key = None
        if principal is not None:
            try:
                variables = json.dumps(self.variable_values, sort_keys=True, default=str)
                loc = self.operation.loc
                document = loc.source.body if loc is not None else id(self.operation)
                name = self.operation.name.value if self.operation.name else None
                key = (document, name, variables, principal)
            except (TypeError, ValueError):
                key = None
        self._live_key = key
        return key

    def forget_share_key(self) -> None:
        """The principal changed (api.live.relay.apply_principal): compute the key again."""
        self.__dict__.pop("_live_key", None)

    def build_per_event_executor(self, payload: Any) -> Any:
        if not isinstance(payload, SharedEvent):
            return super().build_per_event_executor(payload)
        key = self._share_key()
        if key is None:
            return super().build_per_event_executor(payload.value)
        future = payload.results.get(key)
        if future is not None and not (
            future.done() and (future.cancelled() or future.exception() is not None)
        ):
            return _Cached(future)
        executor = super().build_per_event_executor(payload.value)
        return _Recording(executor, payload.results, key)

    async def payload_json(self, event: SharedEvent) -> str | None:
        """The JSON of the frame payload ({"data": ...}) of this subscription for an event,
        computed once per (event, document, variables, rights) for all the subscribers.

        None when the result cannot be shared (errors, no user principal, a failed
        execution): the caller then takes strawberry's ordinary per-subscriber path.
        """
        key = self._share_key()
        if key is None:
            return None
        future = event.payloads.get(key)
        if future is not None:
            return future.result() if future.done() else await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        event.payloads[key] = future
        text: str | None = None
        try:
            executor = super().build_per_event_executor(event.value)
            result = executor.execute_operation(False)
            if executor.is_awaitable(result):
                result = await result
            # Errors are masked and logged per subscriber; incremental results never happen
            # on subscriptions (no @defer/@stream) and would not be shared either.
            if isinstance(result, ExecutionResult) and not result.errors:
                text = json.dumps({"data": result.data})
        except Exception:
            text = None  # the ordinary path executes again and reports the error
        finally:
            future.set_result(text)
        return text
