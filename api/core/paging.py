"""Page sizes: shared by the GraphQL connections and the services that page in SQL themselves."""

from __future__ import annotations

from api.core.errors import Invalid

MAX_PAGE = 100
DEFAULT_PAGE = 20


def page_size(first: int | None) -> int:
    """How many rows a page of `first` holds: DEFAULT_PAGE when unset, at most MAX_PAGE."""
    if first is None:
        return DEFAULT_PAGE
    if first < 0:
        raise Invalid("first must be >= 0.", field="first")
    return min(first, MAX_PAGE)
