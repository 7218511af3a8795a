"""Opaque global ids (base64 of "TypeName:pk") and their safe decoding.

The format is Relay's, the one strawberry's `relay.GlobalID` reads and writes, so ids
made here and ids made by the GraphQL layer are interchangeable; it is spelled out
here so that domain code can encode ids without importing the GraphQL library.
"""

from __future__ import annotations

import base64

from api.core.errors import NotFound
from api.core.values import db_int


def encode(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _parts(value: str) -> tuple[str, str]:
    """(type name, node id) of a global id; ValueError when it is not one."""
    try:
        type_name, node_id = base64.b64decode(value.encode()).decode().split(":", 1)
    except Exception as exc:  # not a str, not base64, not UTF-8, no ":"
        raise ValueError("not a global id") from exc
    return type_name, node_id


def decode(value: str, type_name: str, *, field: str | None = "id") -> int:
    """The integer pk of a global id of `type_name`; NotFound for anything else."""
    try:
        found_type, node_id = _parts(value)
    except ValueError:
        raise NotFound(f"No {type_name} with this id.", field=field) from None
    pk = db_int(node_id)
    if found_type != type_name or pk is None:
        raise NotFound(f"No {type_name} with this id.", field=field)
    return pk


def parts(value: str) -> str | None:
    """The type name a global id claims, or None when it is not a global id."""
    try:
        return _parts(value)[0]
    except ValueError:
        return None


def decode_or_none(value: str | None, type_name: str) -> int | None:
    if value is None:
        return None
    try:
        return decode(value, type_name)
    except NotFound:
        return None
