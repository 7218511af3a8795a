"""Live incident events carry the dependency fields: a dependent's incident turns
UPSTREAM with its upstream, and the upstream's affectedTargets grows."""

from __future__ import annotations

from api.targets.models import TargetStatus
from tests.alerting.conftest import receiver  # noqa: F401 (the local webhook receiver)
from tests.dependencies.helpers import process_transitions, world
from tests.factories.targets import transition
from tests.live.helpers import subscribed, wait_subscribers

DOC = """subscription($w: ID!) { incidents(workspaceId: $w) {
  id causeKind target { name } upstream { target { name } } affectedTargets { name } } }"""


async def test_live_incident_events_carry_the_attachment(
    live,
    resources,
    settings,
    receiver,  # noqa: F811
) -> None:
    w = await world(resources, settings, receiver)
    async with subscribed(live.url, w.account.token, DOC, {"w": w.account.workspace_gid}) as sub:
        await wait_subscribers(live.relay, w.account.workspace.id, 1)
        await transition(w.a, TargetStatus.DOWN)
        await process_transitions(resources)
        await transition(w.b, TargetStatus.DOWN)
        await process_transitions(resources)
        # A opened, B opened, B attached, A affected
        events = [r["incidents"] for r in await sub.wait_results(4)]
    b_events = [e for e in events if e["target"]["name"] == "B"]
    assert b_events[-1]["causeKind"] == "UPSTREAM"
    assert b_events[-1]["upstream"] == {"target": {"name": "A"}}
    a_events = [e for e in events if e["target"]["name"] == "A"]
    assert a_events[-1]["causeKind"] == "DIRECT"
    assert a_events[-1]["affectedTargets"] == [{"name": "B"}]
