"""The README documents every setting and gives the two commands that work."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices

from api.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    table = {
        line.split("|")[1].strip().strip("`")
        for line in README.splitlines()
        if line.startswith(("| `HITFLOW_", "| `OTEL_"))
    }
    # A setting read from a standard variable (e.g. OTEL_EXPORTER_OTLP_ENDPOINT) is
    # documented under that name.
    names = {
        str(field.validation_alias.choices[0])
        if isinstance(field.validation_alias, AliasChoices)
        else f"HITFLOW_{name.upper()}"
        for name, field in Settings.model_fields.items()
    }
    assert not names - table, f"add to README.md's configuration table: {sorted(names - table)}"
    assert not table - names, f"README.md documents unknown settings: {sorted(table - names)}"


def test_the_two_commands_are_single_lines() -> None:
    run = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/hitflow up"
    test = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/pytest -q'
    assert f"```sh\n{run}\n```" in README
    assert f"```sh\n{test}\n```" in README
