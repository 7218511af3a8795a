"""The model graph, read from Tortoise's app registry so that models added later are
covered by the purge and the retention checks without editing this module.

A relation is (child model, FK column, parent model, SET_NULL?). The purge roots are
User and Workspace; every row that reaches a purged root through a non-SET_NULL
foreign key is deleted with it.

Many-to-many fields have a through table and no model (e.g. `target_group_members`,
TargetGroup.targets): `m2m_links()` lists them, so that the purge deletes their rows
with either side and the export lists the members of each exported row.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tortoise import Tortoise
from tortoise.fields.relational import ForeignKeyFieldInstance, ManyToManyFieldInstance
from tortoise.models import Model

# Models the purge keeps on purpose (with why). Everything else that reaches a user or a
# workspace is deleted. tests/privacy/test_model_coverage.py enforces this list.
RETAINED_MODELS: dict[str, str] = {
    "Order": "invoices kept by French law, pseudonymised (user set NULL, e-mail replaced)",
    "DeletionLedger": "only the deleted user id and dates, re-applied after a restore",
    "UsageStatistic": "anonymous aggregates, no identifiers, small buckets suppressed",
    "WebhookEvent": "provider event ids only (no customer data), so a redelivery is a no-op",
}


@dataclass(frozen=True)
class Relation:
    child: type[Model]
    field: str  # the relation name, e.g. "user"
    column: str  # the FK column attribute, e.g. "user_id"
    parent: type[Model]
    set_null: bool


def models() -> dict[str, type[Model]]:
    try:
        return dict(Tortoise.apps["models"])
    except (KeyError, TypeError):
        return {}


def relations() -> list[Relation]:
    found: list[Relation] = []
    for model in models().values():
        meta = model._meta
        for name in sorted(meta.fk_fields | meta.o2o_fields):
            field = meta.fields_map[name]
            assert isinstance(field, ForeignKeyFieldInstance)  # one-to-one fields subclass it
            on_delete = str(field.on_delete).upper()
            found.append(
                Relation(
                    child=model,
                    field=name,
                    column=field.source_field or f"{name}_id",
                    parent=field.related_model,
                    set_null=bool(field.null) and "SET NULL" in on_delete.replace("_", " "),
                )
            )
    return found


@dataclass(frozen=True)
class M2MLink:
    """A many-to-many field, from the model that declares it, e.g. TargetGroup.targets:
    table "target_group_members", own_column "target_groups_id", other_column "target_id"."""

    model: type[Model]
    field: str
    table: str
    own_column: str  # the through table's key to `model`
    other_column: str  # ...and to `other`
    other: type[Model]


def m2m_links() -> list[M2MLink]:
    found: list[M2MLink] = []
    for model in models().values():
        for name in sorted(model._meta.m2m_fields):
            field = model._meta.fields_map[name]
            assert isinstance(field, ManyToManyFieldInstance)
            if field._generated:  # the reverse side (Target.groups): listed from TargetGroup
                continue
            found.append(
                M2MLink(
                    model=model,
                    field=name,
                    table=field.through,
                    own_column=field.backward_key,
                    other_column=field.forward_key,
                    other=field.related_model,
                )
            )
    return found


def m2m_columns_of(model: type[Model]) -> list[tuple[str, str]]:
    """(through table, column) pairs whose rows point at rows of `model`."""
    out: list[tuple[str, str]] = []
    for link in m2m_links():
        if link.model is model:
            out.append((link.table, link.own_column))
        if link.other is model:
            out.append((link.table, link.other_column))
    return out


def children_of(parent: type[Model]) -> list[Relation]:
    return [r for r in relations() if r.parent is parent]


def owned_path(model: type[Model], roots: tuple[str, ...] = ("User", "Workspace")) -> bool:
    """Whether `model` reaches a root through foreign keys that are not SET_NULL
    (so deleting the root deletes the row)."""
    if model.__name__ in roots:
        return True
    seen = {model}
    queue = deque([model])
    while queue:
        current = queue.popleft()
        for rel in relations():
            if rel.child is not current or rel.set_null or rel.parent in seen:
                continue
            if rel.parent.__name__ in roots:
                return True
            seen.add(rel.parent)
            queue.append(rel.parent)
    return False


def lookup_to(model: type[Model], target: str) -> str | None:
    """The shortest ORM lookup from `model` to the primary key of model `target`,
    e.g. CheckResult -> Workspace gives "target__workspace_id"; None when unreachable."""
    if model.__name__ == target:
        return "id"
    queue: deque[tuple[type[Model], list[str]]] = deque([(model, [])])
    seen = {model}
    while queue:
        current, path = queue.popleft()
        for rel in relations():
            if rel.child is not current or rel.parent in seen:
                continue
            if rel.parent.__name__ == target:
                return "__".join([*path, rel.column])
            seen.add(rel.parent)
            queue.append((rel.parent, [*path, rel.field]))
    return None


def reaches(model: type[Model], target: str) -> bool:
    return lookup_to(model, target) is not None
