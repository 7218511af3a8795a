"""The `acyclic_modules` import-linter contract (tests/import_contracts.py) finds module cycles
across packages and leaves out the exempt modules."""

from __future__ import annotations

from grimp import ImportGraph

from tests.import_contracts import AcyclicModulesContract


def graph(*imports: tuple[str, str]) -> ImportGraph:
    built = ImportGraph()
    for importer, imported in imports:
        for module in (importer, imported):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):
                built.add_module(".".join(parts[:depth]))
        built.add_import(importer=importer, imported=imported)
    return built


def contract(**options: object) -> AcyclicModulesContract:
    return AcyclicModulesContract(
        name="cycles", session_options={}, contract_options={"containers": ["app"], **options}
    )


def test_a_cycle_across_packages_breaks_the_contract() -> None:
    imports = [
        ("app.cli.main", "app.privacy.cli"),
        ("app.privacy.cli", "app.cli.options"),
        ("app.cli.options", "app.cli.main"),
        ("app.privacy.cli", "app.core"),
    ]
    check = contract().check(graph(*imports), verbose=False)
    assert not check.kept
    assert check.metadata["cycles"] == [
        ("app.cli.main", "app.privacy.cli", "app.cli.options", "app.cli.main")
    ]


def test_packages_using_each_other_without_a_module_cycle_keep_it() -> None:
    imports = [("app.a.service", "app.b.models"), ("app.b.service", "app.a.models")]
    assert contract().check(graph(*imports), verbose=False).kept


def test_cycles_through_exempt_modules_are_allowed() -> None:
    imports = [("app.a.types", "app.b.types"), ("app.b.types", "app.a.types")]
    assert not contract().check(graph(*imports), verbose=False).kept
    exempt = contract(exempt_modules=["app.*.types"])
    assert exempt.check(graph(*imports), verbose=False).kept
