"""DomainErrors at the GraphQL edge: UserError in mutation payloads, InvalidArgument in queries."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.core.errors import DomainError, PublicGraphQLError, Throttled


@strawberry.enum(description="Why a mutation did not do what was asked.")
class ErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    LIMIT_REACHED = "LIMIT_REACHED"
    UNSAFE_TARGET = "UNSAFE_TARGET"
    EXPIRED = "EXPIRED"
    WRONG_PASSWORD = "WRONG_PASSWORD"
    NOT_VERIFIED = "NOT_VERIFIED"
    INVALID_CODE = "INVALID_CODE"
    TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED"
    PLAN_LIMIT = "PLAN_LIMIT"
    DEPENDENCY_CYCLE = "DEPENDENCY_CYCLE"
    RATE_LIMITED = "RATE_LIMITED"


@strawberry.type(description="An expected failure of a mutation: bad input, not found, ...")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if any.")
    code: ErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")
    retry_after: int | None = strawberry.field(
        default=None,
        description="Seconds to wait before trying again (RATE_LIMITED); null otherwise.",
    )


def user_error(exc: DomainError) -> UserError:
    retry_after = exc.retry_after if isinstance(exc, Throttled) else None
    return UserError(
        field=exc.field, code=ErrorCode(exc.code), message=exc.message, retry_after=retry_after
    )


class InvalidArgument(PublicGraphQLError):
    """A bad query argument (a malformed cursor, a missing reason...): a public error naming it.

    Queries have no payload to carry UserErrors, so their DomainErrors surface as this.
    """

    code = "INVALID"
