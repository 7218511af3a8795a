"""The dependency graph of a workspace's targets.

A target depends on targets or on groups (a group stands for its current members). The
graph is an adjacency map target id -> the target ids it depends on, groups expanded; it
is kept acyclic: `set_dependencies` and group membership changes are refused when they
would close a cycle, with the cycle named ("A -> B -> A").

Alerting (api/incidents/service.py) reads `upstreams_of`, `dependents_of` and `in_graph`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from api.auth.principal import Principal
from api.core.errors import DependencyCycle, Forbidden, LimitReached, NotFound
from api.targets.models import Target, TargetDependency, TargetGroup

MAX_DEPENDENCIES = 20
"""Direct dependencies (targets or groups) of one target."""

Graph = dict[int, set[int]]


@dataclass(frozen=True)
class Ref:
    """A dependency as given: a target or a group, by pk."""

    kind: str  # "Target" or "TargetGroup"
    pk: int


async def _group_members(workspace_id: int) -> dict[int, set[int]]:
    rows = await TargetGroup.filter(workspace_id=workspace_id).values_list("id", "targets__id")
    members: dict[int, set[int]] = defaultdict(set)
    for group_id, target_id in rows:
        if target_id is not None:
            members[group_id].add(target_id)
    return members


async def workspace_graph(
    workspace_id: int,
    *,
    edges_of: dict[int, list[Ref]] | None = None,
    group_members: dict[int, set[int]] | None = None,
) -> Graph:
    """target -> the targets it depends on (directly), groups expanded; `edges_of` and
    `group_members` replace what is stored (a change being judged)."""
    members = await _group_members(workspace_id)
    members.update(group_members or {})
    links = await TargetDependency.filter(workspace_id=workspace_id).values_list(
        "target_id", "upstream_target_id", "upstream_group_id"
    )
    refs: dict[int, list[Ref]] = defaultdict(list)
    for target_id, upstream_target, upstream_group in links:
        if upstream_target is not None:
            refs[target_id].append(Ref("Target", upstream_target))
        elif upstream_group is not None:
            refs[target_id].append(Ref("TargetGroup", upstream_group))
    refs.update(edges_of or {})
    graph: Graph = {}
    for target_id, target_refs in refs.items():
        ups: set[int] = set()
        for ref in target_refs:
            ups |= {ref.pk} if ref.kind == "Target" else members.get(ref.pk, set())
        if ups:
            graph[target_id] = ups
    return graph


def find_cycle(graph: Graph, starts: Iterable[int] | None = None) -> list[int] | None:
    """A cycle as a list of target ids, first == last, or None (iterative DFS)."""
    WHITE, GREY, BLACK = 0, 1, 2
    color: dict[int, int] = defaultdict(int)
    for start in sorted(starts if starts is not None else graph):
        if color[start] != WHITE:
            continue
        stack: list[tuple[int, list[int]]] = [(start, sorted(graph.get(start, ())))]
        path = [start]
        color[start] = GREY
        while stack:
            node, pending = stack[-1]
            if not pending:
                color[node] = BLACK
                stack.pop()
                path.pop()
                continue
            nxt = pending.pop(0)
            if color[nxt] == GREY:
                return [*path[path.index(nxt) :], nxt]
            if color[nxt] == WHITE:
                color[nxt] = GREY
                path.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


async def refuse_cycle(
    workspace_id: int,
    *,
    edges_of: dict[int, list[Ref]] | None = None,
    group_members: dict[int, set[int]] | None = None,
    field: str = "dependsOn",
) -> None:
    """DependencyCycle naming the cycle if the graph with these changes has one."""
    graph = await workspace_graph(workspace_id, edges_of=edges_of, group_members=group_members)
    cycle = find_cycle(graph)
    if cycle is None:
        return
    names = dict(await Target.filter(id__in=set(cycle)).values_list("id", "name"))
    named = " -> ".join(str(names.get(pk, pk)) for pk in cycle)
    if len(cycle) == 2:
        raise DependencyCycle(f"A target cannot depend on itself: {named}.", field=field)
    raise DependencyCycle(f"This would create a dependency cycle: {named}.", field=field)


async def set_dependencies(principal: Principal, target_id: int, refs: list[Ref]) -> Target:
    """Replace what the target depends on. Every ref must be of the target's workspace."""
    target = await Target.get_or_none(id=target_id, workspace_id__in=principal.workspace_ids)
    if target is None:
        raise NotFound("No target with this id.", field="targetId")
    principal.check_two_factor(target.workspace_id, field="targetId")
    if not principal.can_write(target.workspace_id):
        raise Forbidden("Your role in this workspace cannot change targets.")
    refs = list(dict.fromkeys(refs))
    if len(refs) > MAX_DEPENDENCIES:
        raise LimitReached(
            f"A target depends on at most {MAX_DEPENDENCIES} targets or groups.", field="dependsOn"
        )
    if Ref("Target", target.id) in refs:
        raise DependencyCycle(
            f"A target cannot depend on itself: {target.name} -> {target.name}.",
            field="dependsOn",
        )
    target_pks = [r.pk for r in refs if r.kind == "Target"]
    group_pks = [r.pk for r in refs if r.kind == "TargetGroup"]
    found_targets = await Target.filter(workspace_id=target.workspace_id, id__in=target_pks).count()
    found_groups = await TargetGroup.filter(
        workspace_id=target.workspace_id, id__in=group_pks
    ).count()
    if found_targets != len(target_pks) or found_groups != len(group_pks):
        raise NotFound("No target or group with this id in this workspace.", field="dependsOn")
    await refuse_cycle(target.workspace_id, edges_of={target.id: refs})
    async with in_transaction():
        await TargetDependency.filter(target_id=target.id).delete()
        if refs:
            await TargetDependency.bulk_create(
                [
                    TargetDependency(
                        workspace_id=target.workspace_id,
                        target_id=target.id,
                        upstream_target_id=r.pk if r.kind == "Target" else None,
                        upstream_group_id=r.pk if r.kind == "TargetGroup" else None,
                        position=i,
                    )
                    for i, r in enumerate(refs)
                ]
            )
    return target


# --- Reads used by alerting and by the API ------------------------------------------


def closure(graph: Graph, start: int) -> set[int]:
    """Every node reachable from `start` (not `start` itself)."""
    seen: set[int] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node in seen or node == start:
            continue
        seen.add(node)
        todo.extend(graph.get(node, ()))
    return seen


def reverse(graph: Graph) -> Graph:
    out: Graph = defaultdict(set)
    for node, ups in graph.items():
        for up in ups:
            out[up].add(node)
    return dict(out)


async def upstreams_of(workspace_id: int, target_id: int) -> set[int]:
    """What the target depends on, directly or transitively."""
    return closure(await workspace_graph(workspace_id), target_id)


async def dependents_of(workspace_id: int, target_id: int) -> set[int]:
    """The targets that depend on this one, directly or transitively."""
    return closure(reverse(await workspace_graph(workspace_id)), target_id)


async def in_graph(workspace_id: int, target_id: int) -> bool:
    """True when the target depends on something or something depends on it."""
    graph = await workspace_graph(workspace_id)
    return bool(graph.get(target_id)) or any(target_id in ups for ups in graph.values())


async def direct_refs(target_ids: list[int]) -> dict[int, list[Ref]]:
    """What each target directly depends on, in the order given (for Target.dependsOn)."""
    rows = (
        await TargetDependency.filter(target_id__in=target_ids)
        .order_by("target_id", "position")
        .values_list("target_id", "upstream_target_id", "upstream_group_id")
    )
    out: dict[int, list[Ref]] = {pk: [] for pk in target_ids}
    for target_id, up_target, up_group in rows:
        out[target_id].append(
            Ref("Target", up_target) if up_target is not None else Ref("TargetGroup", up_group)
        )
    return out


async def direct_dependents(target_ids: list[int]) -> dict[int, list[int]]:
    """The targets that depend directly on each target (through a group too), by id."""
    wanted = set(target_ids)
    groups = await TargetGroup.filter(targets__id__in=list(wanted)).values_list("id", "targets__id")
    group_of: dict[int, set[int]] = defaultdict(set)
    for group_id, member in groups:
        if member in wanted:
            group_of[group_id].add(member)
    rows = await TargetDependency.filter(upstream_target_id__in=list(wanted)).values_list(
        "target_id", "upstream_target_id"
    )
    rows += [
        (t, m)
        for t, g in await TargetDependency.filter(upstream_group_id__in=list(group_of)).values_list(
            "target_id", "upstream_group_id"
        )
        for m in group_of[g]
    ]
    out: dict[int, set[int]] = {pk: set() for pk in target_ids}
    for dependent, upstream in rows:
        out[upstream].add(dependent)
    return {pk: sorted(ids) for pk, ids in out.items()}
