"""The mutation payload contract: every payload carries `errors`, filled from DomainErrors.

A payload type shared by several domains lives here too (a GraphQL type name may exist only
once): import `DeletePayload` rather than defining another one.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import strawberry

from api.core.errors import DomainError, InvalidFields
from api.graphql.errors import UserError, user_error
from api.metrics.own import MUTATION_ERRORS


@strawberry.interface(description="The answer of a mutation: its result, or why it failed.")
class MutationPayload:
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why it failed; empty on success."
    )


Params = ParamSpec("Params")
Payload = TypeVar("Payload", bound=MutationPayload)


def domain_errors_in(
    payload: type[Payload],
) -> Callable[
    [Callable[Params, Awaitable[Payload]]], Callable[Params, Coroutine[Any, Any, Payload]]
]:
    """Resolver decorator: a DomainError raised inside is answered as `payload(errors=[...])`.

    This is the one place where expected failures become UserErrors, so a resolver body is
    just the service call and the success payload. Other errors (auth, rate limits) pass.
    InvalidFields (api.core.errors.FieldErrors) becomes one UserError per field.
    """

    def decorate(
        resolver: Callable[Params, Awaitable[Payload]],
    ) -> Callable[Params, Coroutine[Any, Any, Payload]]:
        # functools.wraps keeps the signature strawberry reads the GraphQL arguments from.
        @functools.wraps(resolver)
        async def resolve(*args: Params.args, **kwargs: Params.kwargs) -> Payload:
            try:
                return await resolver(*args, **kwargs)
            except DomainError as exc:
                # InvalidFields: every field error of the input at once.
                errors = exc.errors if isinstance(exc, InvalidFields) else [exc]
                info = kwargs.get("info")
                name = getattr(info, "field_name", None) or resolver.__name__
                for error in errors:
                    MUTATION_ERRORS.labels(name, error.code).inc()
                return payload(errors=[user_error(e) for e in errors])

        return resolve

    return decorate


@strawberry.type(description="The answer of a mutation that deletes or revokes something.")
class DeletePayload(MutationPayload):
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of what was deleted; null on failure."
    )
