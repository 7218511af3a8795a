"""Relay connections paged in SQL (keyset on the primary key, newest first by default).

Cursors are opaque: base64 of the last row's primary key. `first` is capped at MAX_PAGE
(api/core/paging.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.relay import PageInfo
from tortoise.queryset import QuerySet

from api.core.errors import Invalid
from api.core.paging import page_size
from api.core.values import db_int

T = TypeVar("T")


@strawberry.type(description="An edge of a connection.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque cursor of this node.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, Relay style.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many items the whole list has.")


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"c:{pk}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        pk = db_int(raw[2:]) if raw.startswith("c:") else None
        if pk is None:
            raise ValueError
        return pk
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Malformed cursor.", field="after") from None


async def paginate(
    query: QuerySet[Any],
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
    descending: bool = True,
    pk: str = "id",
) -> Connection[T]:
    """Keyset-paginate `query` on its primary key; one COUNT and one page query."""
    size = page_size(first)
    total = await query.count()
    page_query = query
    if after is not None:
        last = decode_cursor(after)
        page_query = page_query.filter(**{f"{pk}__lt" if descending else f"{pk}__gt": last})
    rows: Sequence[Any] = await page_query.order_by(f"-{pk}" if descending else pk).limit(size + 1)
    has_next = len(rows) > size
    rows = rows[:size]
    edges = [Edge(cursor=encode_cursor(getattr(r, pk)), node=to_node(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
