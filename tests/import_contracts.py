"""An import-linter contract type for what the built-in ones cannot say (see pyproject.toml).

`acyclic_siblings` finds cycles between the children of one package, so a module cycle
across two domains (api.cli -> api.privacy.cli -> api.cli) only shows up as a cycle
between the packages api.cli and api.privacy, and the domain packages legitimately use
each other both ways. `acyclic_modules` looks at modules only: no module may import
itself through others, whatever packages the cycle crosses.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import Any, cast

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.imports import ModuleExpression


class AcyclicModulesContract(Contract):
    """No import cycle between the modules of `containers`.

    Options:
        containers:      packages whose modules (at any depth) are checked.
        exempt_modules:  modules left out of the check (cycles through them are allowed).
    """

    type_name = "acyclic_modules"

    containers = fields.SetField(subfield=fields.ModuleExpressionField())
    exempt_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        checked: set[str] = set()
        for container in _matching(graph, self.containers):
            checked |= {container, *graph.find_descendants(container)}
        for module in _matching(graph, self.exempt_modules):
            checked.discard(module)
            graph.remove_module(module)  # the graph is this contract's own copy
        cycles = [_a_cycle(graph, group) for group in _strongly_connected(graph, checked)]
        return ContractCheck(kept=not cycles, metadata={"cycles": sorted(cycles)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(" -> ".join(cycle), bold=False)
            output.new_line()


def _matching(graph: ImportGraph, field_value: object) -> set[str]:
    """The modules of a parsed SetField of module expressions (wildcards allowed)."""
    found: set[str] = set()
    for expression in cast("set[ModuleExpression] | None", field_value) or ():
        found |= graph.find_matching_modules(expression.expression)
    return found


def _strongly_connected(graph: ImportGraph, modules: Set[str]) -> Iterable[list[str]]:
    """The groups of two or more `modules` that import each other (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(modules):
        if root in index:
            continue
        work: list[tuple[str, Any]] = [(root, None)]
        while work:
            node, edges = work.pop()
            if edges is None:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
                edges = iter(sorted(graph.find_modules_directly_imported_by(node) & modules))
            for child in edges:
                if child not in index:
                    work.append((node, edges))
                    work.append((child, None))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        yield sorted(group)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])


def _a_cycle(graph: ImportGraph, group: list[str]) -> tuple[str, ...]:
    """One cycle through the group's first module, as the chain of imports to read."""
    first = group[0]
    step = min(graph.find_modules_directly_imported_by(first) & set(group))
    back = graph.find_shortest_chain(importer=step, imported=first) or (step, first)
    return (first, *back)
