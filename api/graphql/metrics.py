"""GraphQL operation metrics (a strawberry extension) recorded in Hitflow's own registry."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from api.metrics.own import GRAPHQL_ERRORS, GRAPHQL_SECONDS

MAX_OPERATION_NAMES = 500
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """The operation name as a label: clients choose names, so the number of distinct
    values is capped (later names read "other") and long ones are cut."""
    if not name:
        return "anonymous"
    name = name[:64]
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES:
        return "other"
    _operation_names.add(name)
    return name


class GraphQLMetrics(SchemaExtension):
    """Operation latency by name and errors by code (a strawberry extension)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        kind = "unknown"
        name = "invalid"
        with contextlib.suppress(Exception):  # unparsable document, or no such operation
            kind = ctx.operation_type.value
            name = operation_label(ctx.operation_name)
        GRAPHQL_SECONDS.labels(name, kind).observe(time.perf_counter() - started)
        result = ctx.result
        errors = getattr(result, "errors", None) or ctx.pre_execution_errors or []
        for error in errors:
            code = (getattr(error, "extensions", None) or {}).get("code") or "GRAPHQL_ERROR"
            GRAPHQL_ERRORS.labels(name, str(code)).inc()
