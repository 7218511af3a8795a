"""The schema lint CI runs: every element described; nothing removed without a
deprecation step. Also: today's schema passes it."""

from __future__ import annotations

from api.schema import schema
from tests.schema_lint import lint

OLD = '''
"""Root."""
type Query {
  """A."""
  a(
    """X."""
    x: Int
  ): Int
  """B."""
  b: Int @deprecated(reason: "Use a.")
  """Kind."""
  kind: Kind
}
"""Kind."""
enum Kind {
  """One."""
  ONE
  """Two."""
  TWO @deprecated(reason: "Gone soon.")
}
'''


def test_the_schema_describes_everything_and_matches_its_lint() -> None:
    assert lint("", schema.as_str()) == []


def test_removing_a_deprecated_field_or_value_is_allowed() -> None:
    new = OLD.replace('  """B."""\n  b: Int @deprecated(reason: "Use a.")\n', "").replace(
        '  """Two."""\n  TWO @deprecated(reason: "Gone soon.")\n', ""
    )
    assert lint(OLD, new) == []


def test_removing_an_undeprecated_field_value_or_argument_is_refused() -> None:
    no_a = OLD.replace('  """A."""\n  a(\n    """X."""\n    x: Int\n  ): Int\n', "")
    assert lint(OLD, no_a) == ["breaking without @deprecated first: Field Query.a was removed."]
    no_one = OLD.replace('  """One."""\n  ONE\n', "")
    assert lint(OLD, no_one) == [
        "breaking without @deprecated first: Enum value Kind.ONE was removed."
    ]
    no_arg = OLD.replace('(\n    """X."""\n    x: Int\n  )', "")
    assert lint(OLD, no_arg) == [
        "breaking without @deprecated first: Argument Query.a(x:) was removed."
    ]


def test_a_changed_type_and_a_missing_description_are_reported() -> None:
    changed = OLD.replace('  """Kind."""\n  kind: Kind', "  kind: String")
    problems = lint(OLD, changed)
    assert "no description: Query.kind" in problems
    assert any("Query.kind changed type" in p for p in problems)
