"""Every GraphQL error leaves with an `extensions.code`; only true server faults are masked.

The phase an error comes from decides its code:

- the document does not parse: ``GRAPHQL_PARSE_FAILED``;
- it does not validate against the schema: ``GRAPHQL_VALIDATION_FAILED``;
- the variables do not fit their types (a bad enum, DateTime, a missing value...), or an
  argument cannot be read (a malformed global id): ``BAD_USER_INPUT``;
- our public errors keep their own code (UNAUTHENTICATED, FORBIDDEN, INVALID...);
- anything else raised while resolving is a server fault: masked as ``INTERNAL`` with the
  request id the logs also carry.

In production, messages lose graphql-core's "Did you mean ...?" hints (they spell out the
schema to anyone), and introspection (``__schema`` / ``__type``) needs a signed-in
principal (docs/security.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, Protocol, cast

from graphql import GraphQLError, GraphQLSyntaxError, validate
from graphql.language import FloatValueNode, StringValueNode
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions import MaskErrors
from strawberry.relay.types import GlobalIDValueError
from strawberry.schema.exceptions import InvalidOperationTypeError

from api.core.logging import get_logger

log = get_logger("api.graphql")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL"

# Exceptions a resolver's arguments raise on malformed client input (before our code runs).
_INPUT_ERRORS: tuple[type[BaseException], ...] = (GlobalIDValueError,)

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class _WithErrors(Protocol):
    errors: list[GraphQLError] | None


def code_of(error: GraphQLError) -> str | None:
    extensions = error.extensions or {}
    code = extensions.get("code")
    return code if isinstance(code, str) else None


def _tag(errors: list[GraphQLError] | None, code: str) -> None:
    for error in errors or ():
        if code_of(error) is None:
            error.extensions = {**(error.extensions or {}), "code": code}


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


def tag_parse_errors(errors: list[GraphQLError]) -> None:
    """Parse errors raised by the parser cache escape the operation hooks (and so this
    extension's result processing): Schema.process_errors tags them instead."""
    _tag([e for e in errors if isinstance(e, GraphQLSyntaxError)], PARSE_FAILED)


class MaskWithRequestId(MaskErrors):
    def _production(self) -> bool:
        context: Any = self.execution_context.context
        resources = getattr(context, "resources", None)
        return bool(resources is not None and resources.settings.production)

    def on_parse(self) -> Iterator[None]:
        yield
        _tag(self.execution_context.pre_execution_errors, PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        # Before the yield: strawberry reads the errors inside the validation block. The
        # validation cache (an earlier extension) has set them by now.
        ctx = self.execution_context
        if self._production():
            principal = getattr(ctx.context, "principal", None)
            if principal is None or not principal.authenticated:
                assert ctx.graphql_document is not None
                errors = ctx.pre_execution_errors
                if errors is None:
                    errors = validate(
                        ctx.schema._schema, ctx.graphql_document, ctx.validation_rules
                    )
                refused = validate(
                    ctx.schema._schema, ctx.graphql_document, [NoSchemaIntrospectionCustomRule]
                )
                if refused:
                    # A new list: the validation cache holds the one it returned.
                    ctx.pre_execution_errors = [
                        *errors,
                        GraphQLError(
                            "Introspection needs a signed-in user or a token.",
                            nodes=refused[0].nodes,
                            extensions={"code": VALIDATION_FAILED},
                        ),
                    ]
        yield
        _tag(ctx.pre_execution_errors, VALIDATION_FAILED)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        # Errors without a path come from before any resolver ran: the variables did not
        # coerce to their types (or the operation to run was not named right).
        _tag([e for e in errors or () if e.path is None], BAD_USER_INPUT)

    def _process_result(self, result: object) -> None:
        # The stock check is an isinstance() against a runtime Protocol: ~10 us per
        # result, paid for every live event sent to every subscriber.
        errors = getattr(result, "errors", None)
        if errors:
            cast(_WithErrors, result).errors = self._process_errors(errors)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        production = self._production()
        processed: list[GraphQLError] = []
        for error in errors:
            if isinstance(error, GraphQLSyntaxError):
                _tag([error], PARSE_FAILED)
            elif code_of(error) is None and isinstance(error.original_error, _INPUT_ERRORS):
                error = GraphQLError(
                    "Not a valid id.",
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    extensions={"code": BAD_USER_INPUT},
                )
            elif code_of(error) is None and isinstance(
                error.original_error, InvalidOperationTypeError
            ):
                # A query or mutation over the legacy graphql-ws protocol (subscriptions only).
                error = GraphQLError(
                    "Over the graphql-ws protocol only subscriptions run: send queries and"
                    " mutations over HTTP POST /graphql or graphql-transport-ws.",
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    extensions={"code": BAD_USER_INPUT},
                )
            if code_of(error) is None and self.should_mask_error(error):
                error = self.anonymise_error(error)
            elif code_of(error) is None:
                _tag([error], BAD_USER_INPUT if error.path is None else INTERNAL)
            if production and "Did you mean" in error.message:
                error.message = without_suggestions(error.message)
            processed.append(error)
        return processed

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context: Any = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        log.error(
            "graphql_unexpected_error",
            request_id=request_id,
            path=error.path,
            error=repr(error.original_error),
            exc_info=error.original_error,
        )
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": INTERNAL, "requestId": request_id},
        )


class FiniteFloatsRule(ValidationRule):
    """A float literal that overflows (1e999) is inf once read: refused in any argument,
    JSON scalars included (stored, inf is later served back as invalid JSON)."""

    def enter_float_value(self, node: FloatValueNode, *_args: Any) -> None:
        try:
            finite = math.isfinite(float(node.value))
        except ValueError:
            finite = False
        if not finite:
            self.report_error(
                GraphQLError(
                    f"Float out of range: {node.value[:32]}.",
                    node,
                    extensions={"code": VALIDATION_FAILED},
                )
            )


class NoNulStringsRule(ValidationRule):
    """A string literal holding NUL (\\u0000) is refused: PostgreSQL cannot store it in text,
    and no field has a use for it (JSON variables holding it are refused as a body)."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(
                GraphQLError(
                    "Strings must not contain NUL (\\u0000).",
                    node,
                    extensions={"code": VALIDATION_FAILED},
                )
            )
