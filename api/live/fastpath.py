"""The broadcast fast path: one encoded payload per event, sent straight to each socket.

Strawberry runs each subscription in its own task; these handler subclasses record, in
that task, which protocol and operation id it serves. A live subscriber then sends its
events itself: the payload JSON of an event is computed once per (event, document,
variables, rights) (`SharingExecutionContext.payload_json`) and each socket's frame is
that text with its own operation id around it. Results with errors, and anything else
the fast path cannot share, go through strawberry's ordinary per-subscriber path.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, parse
from graphql.utilities import get_operation_ast
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ErrorMessage as TransportError,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage as LegacyError

from api.core.errors import PublicGraphQLError
from api.graphql.caches import cacheable

# The frame prefix of the operation this task runs: '{"id":"1","type":"next","payload":'.
CURRENT_FRAME_PREFIX: ContextVar[str | None] = ContextVar("hitflow_live_frame", default=None)


def operation_type(query: Any, operation_name: str | None) -> str | None:
    """The operation's type: "query", "mutation" or "subscription"; None when the
    document does not parse or names no single operation (strawberry answers those)."""
    if not isinstance(query, str):
        return None
    if cacheable(query):
        return _operation_type(query, operation_name)
    return _operation_type.__wrapped__(query, operation_name)  # large: not kept


@lru_cache(maxsize=256)
def _operation_type(query: str, operation_name: str | None) -> str | None:
    try:
        operation = get_operation_ast(parse(query, max_tokens=20_000), operation_name)
    except (GraphQLError, RecursionError):
        return None
    return operation.operation.value if operation is not None else None


def transport_ws_prefix(operation_id: str) -> str:
    """graphql-transport-ws: {"id": ..., "type": "next", "payload": {"data": ...}}."""
    return '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":'


def legacy_ws_prefix(operation_id: str) -> str:
    """graphql-ws (legacy): {"type": "data", "id": ..., "payload": {"data": ...}}."""
    return '{"type":"data","id":' + json.dumps(operation_id) + ',"payload":'


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    async def handle_subscribe(self, message: Any) -> None:
        # Every operation is authorised against the principal's current rights and
        # counted against its rate budget (HitflowGraphQL.authorize_ws_operation).
        if self.connection_acknowledged and message["id"] not in self.operations:
            view: Any = self.view  # api.graphql.endpoint.HitflowGraphQL
            refusal = await view.authorize_ws_operation(self.context)
            if refusal is not None:
                await self.send_message(
                    TransportError(id=message["id"], type="error", payload=[refusal])
                )
                return
        await super().handle_subscribe(message)

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        """A document that does not parse is that operation's `error` message (coded
        GRAPHQL_PARSE_FAILED, as over HTTP), like one that does not validate: strawberry
        would close the whole socket with 4400, ending the client's other subscriptions."""
        if isinstance(error, GraphQLSyntaxError):
            return None
        close_reason: str | None = BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(
            error
        )
        return close_reason

    async def run_operation(self, operation: Any) -> None:
        """Queries and mutations take the same turns as over HTTP: the fair gate and its
        cost budget, the per-principal slots and the query timeout (api/graphql/cost.py,
        api/graphql/fairgate.py); a refusal is the operation's `error` message.
        Subscriptions are bounded by the relay (per connection and per principal)."""
        CURRENT_FRAME_PREFIX.set(transport_ws_prefix(operation.id))
        run = super().run_operation
        if operation_type(operation.query, operation.operation_name) not in (
            "query",
            "mutation",
        ):
            await run(operation)  # a subscription, or a document strawberry will refuse
            return
        view: Any = self.view  # api.graphql.endpoint.HitflowGraphQL
        guard = getattr(view.schema, "guard", None)
        caller = view.caller_of(self.context.request, self.context.credential)
        try:
            async with view.gate.turn(caller):
                if guard is None:
                    await run(operation)
                else:
                    await guard.run(self.context, lambda: run(operation))
        except PublicGraphQLError as exc:  # no turn, over budget, no slot, timed out
            await operation.send_operation_message(
                TransportError(id=operation.id, type="error", payload=[exc.formatted])
            )


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    async def handle_start(self, message: Any) -> None:
        if self.connection_acknowledged:
            view: Any = self.view  # api.graphql.endpoint.HitflowGraphQL
            refusal = await view.authorize_ws_operation(self.context)
            if refusal is not None:
                await self.send_message(
                    LegacyError(type="error", id=message["id"], payload=refusal)
                )
                return
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        CURRENT_FRAME_PREFIX.set(legacy_ws_prefix(operation_id))
        await super().handle_async_results(operation_id, query, operation_name, variables)
