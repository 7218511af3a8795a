"""Opaque global ids ("TypeName:pk", base64) and their safe decoding."""

from __future__ import annotations

from strawberry.relay import GlobalID

from api.core.errors import NotFound
from api.core.values import db_int


def encode(type_name: str, pk: int | str) -> str:
    return str(GlobalID(type_name, str(pk)))


def decode(value: str, type_name: str, *, field: str | None = "id") -> int:
    """The integer pk of a global id of `type_name`; NotFound for anything else."""
    try:
        gid = GlobalID.from_id(value)
        pk = db_int(gid.node_id)
        if gid.type_name != type_name or pk is None:
            raise ValueError
        return pk
    except (ValueError, TypeError):
        raise NotFound(f"No {type_name} with this id.", field=field) from None


def decode_or_none(value: str | None, type_name: str) -> int | None:
    if value is None:
        return None
    try:
        return decode(value, type_name)
    except NotFound:
        return None
