"""Page sizes: shared by the GraphQL connections and the services that page in SQL themselves."""

from __future__ import annotations

from api.core.errors import Invalid

MAX_PAGE = 100
DEFAULT_PAGE = 20


def page_size(first: int | None, *, field: str = "first") -> int:
    """How many rows a page of `first` (or `last`) holds: DEFAULT_PAGE when unset; more
    than MAX_PAGE is an error that states the maximum, never a silent cut."""
    if first is None:
        return DEFAULT_PAGE
    if first < 0:
        raise Invalid(f"{field} must be >= 0.", field=field)
    if first > MAX_PAGE:
        raise Invalid(f"{field} must be at most {MAX_PAGE} (the largest page).", field=field)
    return first


def backward(first: int | None, after: str | None, last: int | None, before: str | None) -> bool:
    """Whether a page is asked from the end (last/before); mixing both directions is refused."""
    if (last is not None or before is not None) and (first is not None or after is not None):
        raise Invalid("Send first/after or last/before, not both.", field="last")
    return last is not None or before is not None
