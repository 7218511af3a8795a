"""Typed stand-ins for the two places where tortoise 1.1's own annotations are wrong.

- `values_list(field, flat=True)` is typed as a list of tuples whatever `flat` says;
  `column` returns the plain values it really gives.
- `TextField` is typed `str` even with `null=True` (the nullable overloads cover the
  other field kinds only); `nullable_text` declares the column as `str | None`.
"""

from __future__ import annotations

from typing import Any, cast

from tortoise import fields
from tortoise.queryset import QuerySet


async def column(query: QuerySet[Any], field: str) -> list[Any]:
    """The values of `field` in the rows of `query`, in the query's order."""
    values: list[Any] = await query.values_list(field, flat=True)
    return values


def nullable_text(**kwargs: Any) -> fields.Field[str | None]:
    """`fields.TextField(null=True, ...)`, the same field, typed as nullable."""
    return cast("fields.Field[str | None]", fields.TextField(null=True, **kwargs))
