"""UserError and the one mapping from DomainError to a mutation payload's errors."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.core.errors import DomainError


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


@strawberry.type(description="An expected failure of a mutation: bad input, not found, ...")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if any.")
    code: ErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")


def user_errors(exc: DomainError | list[DomainError]) -> list[UserError]:
    items = exc if isinstance(exc, list) else [exc]
    return [UserError(field=e.field, code=ErrorCode(e.code), message=e.message) for e in items]
