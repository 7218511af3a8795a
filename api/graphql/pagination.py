"""Relay connections paged in SQL (keyset on the primary key, newest first by default).

Cursors are opaque: base64 of the last row's primary key. `first` / `last` may not exceed
MAX_PAGE (api/core/paging.py). Backward pages (`last`, `before`) keep the same order.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.relay import PageInfo
from tortoise.queryset import QuerySet

from api.core.errors import Invalid
from api.core.paging import backward, page_size
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


def decode_cursor(cursor: str, field: str = "after") -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        pk = db_int(raw[2:]) if raw.startswith("c:") else None
        if pk is None:
            raise ValueError
        return pk
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Malformed cursor.", field=field) from None


async def paginate(
    query: QuerySet[Any],
    *,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
    descending: bool = True,
    pk: str = "id",
    last: int | None = None,
    before: str | None = None,
) -> Connection[T]:
    """Keyset-paginate `query` on its primary key; one COUNT and one page query. A
    backward page (last/before) is read in reverse and returned in the usual order."""
    from_end = backward(first, after, last, before)
    size = page_size(last, field="last") if from_end else page_size(first)
    total = await query.count()
    page_query = query
    cursor, field = (before, "before") if from_end else (after, "after")
    forward_op = "lt" if descending else "gt"
    if cursor is not None:
        edge = decode_cursor(cursor, field)
        op = ({"lt": "gt", "gt": "lt"}[forward_op]) if from_end else forward_op
        page_query = page_query.filter(**{f"{pk}__{op}": edge})
    newest_first = descending != from_end
    order = f"-{pk}" if newest_first else pk
    rows: Sequence[Any] = await page_query.order_by(order).limit(size + 1)
    more = len(rows) > size
    rows = list(rows[:size])
    if from_end:
        rows.reverse()
    edges = [Edge(cursor=encode_cursor(getattr(r, pk)), node=to_node(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=before is not None if from_end else more,
            has_previous_page=more if from_end else after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
