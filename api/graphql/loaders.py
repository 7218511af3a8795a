"""Per-request DataLoaders, kept in the context (never at module level)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from api.graphql.context import Context

K = TypeVar("K")
V = TypeVar("V")


def loader(
    context: Context, name: str, batch: Callable[[list[K]], Awaitable[Sequence[V]]]
) -> DataLoader[K, V]:
    """The request's loader `name`, built on first use.

    On websockets the context lives for the whole connection, so loaders are not cached
    there: each call gets a fresh, uncached loader (still batching within a tick).
    """
    if context.request.scope["type"] == "websocket":
        return DataLoader(load_fn=batch, cache=False)
    existing: DataLoader[K, V] | None = context.loaders.get(name)
    if existing is None:
        existing = context.loaders[name] = DataLoader(load_fn=batch)
    return existing


def by_key(rows: Sequence[Any], keys: Sequence[Any], attr: str = "id") -> list[Any]:
    """Order `rows` like `keys` (None where missing): the shape a batch function returns."""
    index = {getattr(r, attr): r for r in rows}
    return [index.get(k) for k in keys]
