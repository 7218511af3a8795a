"""Schema lint: every element described, and no breaking change without a deprecation step.

    python -m tests.schema_lint OLD.graphql NEW.graphql

exits 1 listing what is wrong. A field, argument, input field or enum value may disappear
only if the old schema marked it @deprecated (clients had a release to move); a type may
disappear only when nothing undeprecated used it; any other breaking change (a type
changed, a nullable argument made required...) is refused outright.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
)
from graphql.utilities import find_breaking_changes

_COORDINATE = re.compile(
    r"^(?:Field|Enum value|Argument) (?P<type>\w+)\.(?P<member>\w+)(?:\((?P<arg>\w+):\))? was removed\.$"
)
_TYPE_REMOVED = re.compile(r"^(?P<type>\w+) was removed\.$")


def undescribed(schema: GraphQLSchema) -> list[str]:
    missing: list[str] = []
    for name, gql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not gql_type.description:
            missing.append(name)
        if isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in gql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg_name}:)"
                    for arg_name, arg in field.args.items()
                    if not arg.description
                ]
        if isinstance(gql_type, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, v in gql_type.fields.items() if not v.description]
        if isinstance(gql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, val in gql_type.values.items() if not val.description]
    return missing


def _deprecated(schema: GraphQLSchema, type_name: str, member: str, arg: str | None) -> bool:
    gql_type = schema.type_map.get(type_name)
    if isinstance(gql_type, GraphQLEnumType):
        value = gql_type.values.get(member)
        return bool(value and value.deprecation_reason)
    if isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        field = gql_type.fields.get(member)
        if field is None:
            return False
        if arg is not None:
            found = getattr(field, "args", {}).get(arg)
            return bool(found and found.deprecation_reason)
        return bool(field.deprecation_reason)
    return False


def _used_undeprecated(schema: GraphQLSchema, type_name: str) -> bool:
    for gql_type in schema.type_map.values():
        if not isinstance(
            gql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            continue
        for field in gql_type.fields.values():
            named: GraphQLNamedType = get_named_type(field.type)
            if named.name == type_name and not field.deprecation_reason:
                return True
            for arg in getattr(field, "args", {}).values():
                if get_named_type(arg.type).name == type_name and not arg.deprecation_reason:
                    return True
    return False


def breaking_without_deprecation(old: GraphQLSchema, new: GraphQLSchema) -> list[str]:
    problems: list[str] = []
    for change in find_breaking_changes(old, new):
        text = change.description
        coordinate = _COORDINATE.match(text)
        if coordinate and _deprecated(
            old, coordinate["type"], coordinate["member"], coordinate["arg"]
        ):
            continue
        removed = _TYPE_REMOVED.match(text)
        if removed and not _used_undeprecated(old, removed["type"]):
            continue
        problems.append(text)
    return problems


def lint(old_sdl: str, new_sdl: str) -> list[str]:
    new = build_schema(new_sdl)
    problems = [f"no description: {element}" for element in undescribed(new)]
    if old_sdl.strip():
        problems += [
            f"breaking without @deprecated first: {text}"
            for text in breaking_without_deprecation(build_schema(old_sdl), new)
        ]
    return problems


def main(argv: list[str]) -> int:
    old_path, new_path = argv
    problems = lint(Path(old_path).read_text(), Path(new_path).read_text())
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
