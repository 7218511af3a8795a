"""`node(id:)` resolution shared by the relay Node types: scoped, null for foreign ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from api.auth.principal import Principal
from api.core.values import db_ints
from api.graphql.context import Info

M = TypeVar("M", bound=Model)


async def resolve_scoped(
    info: Info,
    node_ids: Iterable[str],
    *,
    scope: str | tuple[str, ...] | None,
    query: Callable[[Principal], QuerySet[M] | None],
    to_node: Callable[[M], Any],
) -> list[Any]:
    """The nodes of `node_ids`, in their order; None where absent or not visible.

    `scope`: the scope the caller needs (a tuple: any one of them; None: no scope check);
    without it every id reads as None. `query(principal)` gives the rows the caller may
    see (None: none at all); `to_node` turns a row into the GraphQL node.
    """
    node_ids = list(node_ids)
    principal = info.context.principal
    scopes = (scope,) if isinstance(scope, str) else scope
    if scopes is not None and not any(principal.has_scope(s) for s in scopes):
        return [None for _ in node_ids]
    visible = query(principal)
    if visible is None:
        return [None for _ in node_ids]
    keys = db_ints(node_ids)
    ids = [k for k in keys if k is not None]
    rows = {row.pk: row for row in await visible.filter(id__in=ids)}
    return [to_node(rows[k]) if k in rows else None for k in keys]
