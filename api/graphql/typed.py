"""Typed GraphQL views of JSON configs: input objects -> the camelCase dicts the services
validate, and stored dicts -> output objects.

One mechanism for every typed config (targets, alert channels): the GraphQL types are
plain strawberry dataclasses whose field names, camel-cased, are the JSON keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from strawberry.utils.str_converters import to_camel_case

from api.core.errors import Invalid

T = TypeVar("T")


def input_to_dict(value: Any) -> dict[str, Any]:
    """A strawberry input object as the JSON config it stands for (unset fields left out)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if item is None or item is strawberry.UNSET:
            continue
        out[to_camel_case(field.name)] = _plain(item)
    return out


def _plain(item: Any) -> Any:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return input_to_dict(item)
    if isinstance(item, list):
        return [_plain(i) for i in item]
    return item


def output_from_dict(cls: type[T], data: dict[str, Any], **converters: Any) -> T:
    """An output object from a stored JSON config; `converters` map a field name to a
    function applied to its stored value (nested objects, lists of pairs)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]  # strawberry types are dataclasses
        raw = data.get(to_camel_case(field.name))
        if raw is not None and field.name in converters:
            raw = converters[field.name](raw)
        values[field.name] = raw
    return cls(**values)


def only_member(value: Any) -> tuple[str, Any]:
    """The one set field of a @oneOf input: (its camelCase name, its value)."""
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if item is not None and item is not strawberry.UNSET:
            return to_camel_case(field.name), item
    raise ValueError("a oneOf input has no field set")  # GraphQL validation prevents it


def chosen_config(
    config: Any, typed: Any, convert: Callable[[Any], dict[str, Any]], *, required: bool
) -> Any:
    """The JSON config from either form of an input: `typedConfig` (converted) or the
    deprecated JSON `config`; never both. None when neither is sent and none is required."""
    if typed is None or typed is strawberry.UNSET:
        if config is None or config is strawberry.UNSET:
            if required:
                raise Invalid("typedConfig is required.", field="typedConfig")
            return None
        return config
    if config is not None and config is not strawberry.UNSET:
        raise Invalid("Send typedConfig or config, not both.", field="typedConfig")
    return convert(typed)
