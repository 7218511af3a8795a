"""schema.graphql is the client contract: it must match the code, and say what each part is."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)
from strawberry.printer import print_schema

from api.schema import build_schema

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"
FIX = "strawberry export-schema api.schema:schema --output schema.graphql"
BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
# Fields strawberry itself generates (relay) and that we cannot annotate.
GENERATED = {("Node", "id")}


def test_schema_graphql_matches_the_code() -> None:
    current = print_schema(build_schema()).strip()
    committed = SDL.read_text(encoding="utf-8").strip() if SDL.exists() else ""
    assert committed == current, f"schema.graphql is stale; regenerate it with:\n  {FIX}"


def test_every_public_type_and_field_has_a_description() -> None:
    schema = build_schema()._schema
    roots = {
        t.name for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t
    }
    missing: list[str] = []
    for name, gtype in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILTIN_SCALARS:
            continue
        kinds = (
            GraphQLObjectType,
            GraphQLInterfaceType,
            GraphQLInputObjectType,
            GraphQLEnumType,
            GraphQLScalarType,
            GraphQLUnionType,
        )
        if isinstance(gtype, kinds) and name not in roots and not gtype.description:
            missing.append(name)
        fields = getattr(gtype, "fields", None) or {}
        for field_name, field in fields.items():
            if (name, field_name) in GENERATED or field.description:
                continue
            # A field implementing an interface may inherit the interface's description.
            inherited = any(
                field_name in iface.fields and iface.fields[field_name].description
                for iface in getattr(gtype, "interfaces", ())
            )
            if not inherited:
                missing.append(f"{name}.{field_name}")
    assert not missing, "add a description to: " + ", ".join(missing)
