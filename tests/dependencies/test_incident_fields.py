"""Incident.causeKind / upstream / affectedTargets and Target.dependsOn / dependents over
GraphQL (constant query count), and the same fields in live incident events."""

from __future__ import annotations

import pytest
from tortoise import connections

from api.core.ids import encode
from api.targets import dependencies
from api.targets.models import TargetStatus
from tests.dependencies.helpers import incident_of, process_transitions, settle, world
from tests.factories.accounts import create_account, create_pat, owner_principal
from tests.factories.targets import create_target, transition

INCIDENTS = """query($w: ID!) { node(id: $w) { ... on Workspace { incidents(first: 50) {
  edges { node { id causeKind target { name dependsOn { ... on Target { name } } dependents { name } }
    upstream { id target { name } } affectedTargets { name } } } } } } }"""


@pytest.fixture
def count_queries(monkeypatch):
    counter = {"n": 0}
    cls = type(connections.get("default"))
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(cls, name)

        def wrapper(self, *args, __original=original, **kwargs):
            counter["n"] += 1
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)
    return counter


async def _outage(resources, settings, receiver, dependents: int):
    w = await world(resources, settings, receiver)
    principal = owner_principal(w.account)
    extra = [
        await create_target(w.account.workspace, name=f"X{i:02}", status=TargetStatus.UP)
        for i in range(dependents)
    ]
    for target in extra:
        await dependencies.set_dependencies(
            principal, target.id, [dependencies.Ref("Target", w.a.id)]
        )
    for target in (w.a, w.b, w.c, *extra):
        await transition(target, TargetStatus.DOWN)
    await process_transitions(resources)
    await settle(resources)
    return w


async def test_incident_fields_show_the_attachment(gql, resources, settings, receiver) -> None:
    w = await _outage(resources, settings, receiver, 0)
    a_inc = await incident_of(w.a)
    answer = await gql(INCIDENTS, {"w": w.account.workspace_gid}, token=w.account.token)
    nodes = {
        e["node"]["target"]["name"]: e["node"] for e in answer["data"]["node"]["incidents"]["edges"]
    }
    assert nodes["A"]["causeKind"] == "DIRECT" and nodes["A"]["upstream"] is None
    assert nodes["A"]["affectedTargets"] == [{"name": "B"}, {"name": "C"}]
    assert nodes["A"]["target"]["dependents"] == [{"name": "B"}, {"name": "C"}]
    for name in ("B", "C"):
        assert nodes[name]["causeKind"] == "UPSTREAM"
        assert nodes[name]["upstream"] == {
            "id": encode("Incident", a_inc.id),
            "target": {"name": "A"},
        }
        assert nodes[name]["affectedTargets"] == []
        assert nodes[name]["target"]["dependsOn"] == [{"name": "A"}]

    # a stranger sees none of it; a token without targets:read gets no affectedTargets
    stranger = await create_account(settings)
    node = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": encode("Incident", a_inc.id)},
        token=stranger.token,
    )  # fmt: skip
    assert node["data"]["node"] is None
    alerts_only = await create_pat(w.account.user, ["alerts:read"])
    narrow = await gql(
        "query($id: ID!) { node(id: $id) { ... on Incident { causeKind affectedTargets { name } } } }",
        {"id": encode("Incident", a_inc.id)}, token=alerts_only,
    )  # fmt: skip
    assert narrow["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_graph_fields_cost_a_constant_number_of_queries(
    gql, resources, settings, receiver, count_queries
) -> None:
    small = await _outage(resources, settings, receiver, 2)
    count_queries["n"] = 0
    answer = await gql(INCIDENTS, {"w": small.account.workspace_gid}, token=small.account.token)
    assert len(answer["data"]["node"]["incidents"]["edges"]) == 5
    few = count_queries["n"]

    big = await _outage(resources, settings, receiver, 30)
    count_queries["n"] = 0
    answer = await gql(INCIDENTS, {"w": big.account.workspace_gid}, token=big.account.token)
    edges = answer["data"]["node"]["incidents"]["edges"]
    assert len(edges) == 33
    assert count_queries["n"] == few, (few, count_queries["n"])
