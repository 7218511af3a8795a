"""Domain errors: services raise these; one place maps them to UserErrors.

Top-level GraphQL errors (auth, scope, rate limit) are `PublicGraphQLError`s so that
the error masking lets them through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from graphql import GraphQLError

T = TypeVar("T")


class DomainError(Exception):
    code = "INVALID"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    code = "INVALID"


class InvalidFields(DomainError):
    """Several independent input errors at once (a form shows them all, not the first):
    the payload gets one UserError per entry, each naming its field."""

    code = "INVALID"

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class FieldErrors:
    """Runs independent input checks, keeping every DomainError they raise; `raise_any()`
    then raises the one error, or InvalidFields with all of them. A checked value is
    meaningless (None) when its check failed: use it only after `raise_any()`.

        errors = FieldErrors()
        name = errors.check(check_name, name)
        config = errors.check(parse_config, kind, config)
        errors.raise_any()
    """

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def add(self, exc: DomainError) -> None:
        self.errors.extend(exc.errors if isinstance(exc, InvalidFields) else [exc])

    def check(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except DomainError as exc:
            self.add(exc)
            return cast(T, None)

    async def check_async(self, awaitable: Awaitable[T]) -> T:
        try:
            return await awaitable
        except DomainError as exc:
            self.add(exc)
            return cast(T, None)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidFields(self.errors)


class NotFound(DomainError):
    code = "NOT_FOUND"

    def __init__(self, message: str = "Not found.", *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class LimitReached(DomainError):
    code = "LIMIT_REACHED"


class Throttled(DomainError):
    """Too many of an action a form submits (invitations a day...): a UserError
    RATE_LIMITED with retryAfter, the field at fault named. Request-level limits (a
    token's budget, sign-in attempts) stay top-level RateLimited errors."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message or f"Too many attempts; retry in {retry_after} s.", field=field)
        self.retry_after = retry_after


class UnsafeTarget(DomainError):
    code = "UNSAFE_TARGET"


class Expired(DomainError):
    code = "EXPIRED"


class WrongPassword(DomainError):
    code = "WRONG_PASSWORD"


class NotVerified(DomainError):
    code = "NOT_VERIFIED"


class InvalidCode(DomainError):
    """A wrong, reused or expired second-factor code, recovery code or sign-in token."""

    code = "INVALID_CODE"


class TwoFactorRequired(DomainError):
    """The action or the workspace needs a second factor the user has not set up."""

    code = "TWO_FACTOR_REQUIRED"


class DependencyCycle(DomainError):
    """A dependency (or group membership) that would make a target depend on itself."""

    code = "DEPENDENCY_CYCLE"


class PublicGraphQLError(GraphQLError):
    """A GraphQL error meant for the client (never masked)."""

    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class Unauthenticated(PublicGraphQLError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Authentication required.") -> None:
        super().__init__(message)


class Forbidden(PublicGraphQLError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "Forbidden.", **extensions: Any) -> None:
        super().__init__(message, **extensions)


class RateLimited(PublicGraphQLError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts; retry in {retry_after} s.", retryAfter=retry_after)
        self.retry_after = retry_after


class TwoFactorRequiredError(PublicGraphQLError):
    """A query touching data that needs a second factor (workspace policy, staff views)."""

    code = "TWO_FACTOR_REQUIRED"

    def __init__(self, message: str = "Set up a second factor first.", **extensions: Any) -> None:
        super().__init__(message, **extensions)
