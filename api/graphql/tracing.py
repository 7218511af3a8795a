"""GraphQL spans for OpenTelemetry (added to the schema only when tracing is on,
api/core/tracing.py): one span per operation, named `query WhoAmI` (never the query
text, variables or arguments), and one per root field (`Mutation.createTarget`: the
service call), under which the database spans nest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from inspect import isawaitable
from typing import Any

from opentelemetry import trace
from strawberry.extensions import SchemaExtension

from api.graphql.metrics import operation_label

_tracer = trace.get_tracer("hitflow.graphql")


class GraphQLTracing(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        with _tracer.start_as_current_span("graphql") as span:
            yield
            ctx = self.execution_context
            kind, name = "unknown", "invalid"
            with contextlib.suppress(Exception):  # unparsable document, or no such operation
                kind = ctx.operation_type.value
                name = operation_label(ctx.operation_name)
            span.update_name(f"{kind} {name}")
            span.set_attribute("graphql.operation.type", kind)
            span.set_attribute("graphql.operation.name", name)

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        if info.path.prev is not None:  # only root fields: one span per service call
            return _next(root, info, *args, **kwargs)

        async def traced() -> Any:
            with _tracer.start_as_current_span(f"{info.parent_type.name}.{info.field_name}"):
                result = _next(root, info, *args, **kwargs)
                return await result if isawaitable(result) else result

        return traced()
