"""A live subscriber told DOWN from half of an instant hears the correction when the rest
of the instant withdraws it (api/targets/state.py, the same-instant rule)."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.core import clock
from api.core.ids import encode
from api.events import publish
from api.targets.models import Target, TargetStatus
from api.targets.state import ingest_results
from tests.factories.accounts import create_account
from tests.factories.results import probe_result
from tests.factories.targets import create_target
from tests.live.helpers import subscribed, wait_subscribers

STATUS = """subscription($w: ID!) {
  targetStatusChanged(workspaceId: $w) { id status statusChangedAt }
}"""
REGIONS = ["eu-west", "us-east"]


async def test_a_withdrawn_down_is_corrected_for_live_subscribers(live, resources, settings):
    account = await create_account(settings)
    target = await create_target(
        account.workspace, regions=REGIONS, alert_policy={"downConfirmRegions": 2}
    )
    base = clock.now().replace(microsecond=0) - timedelta(minutes=5)

    def result(region: str, status: str, second: int) -> dict:
        at = base + timedelta(seconds=second)
        return probe_result(target, region, status, due_ms=second, at=at)

    async with subscribed(live.url, account.token, STATUS, {"w": account.workspace_gid}) as sub:
        await wait_subscribers(live.relay, account.workspace.id)
        await ingest_results(resources, [result("eu-west", "UP", 0), result("us-east", "UP", 0)])
        await ingest_results(resources, [result("eu-west", "UP", 1), result("us-east", "DOWN", 1)])
        # Second 2 arrives in two batches: eu-west's failure alone makes both regions DOWN.
        await ingest_results(resources, [result("eu-west", "DOWN", 2)])
        seen = await sub.wait_results(2)
        assert seen[1]["targetStatusChanged"]["status"] == "DOWN"
        # us-east is UP at that very second: the instant was not DOWN; subscribers are
        # told the status it is back to, and since when (the first UP, not second 2).
        await ingest_results(resources, [result("us-east", "UP", 2)])
        seen = await sub.wait_results(3)

    changes = [r["targetStatusChanged"] for r in seen]
    assert [(c["id"], c["status"]) for c in changes] == [
        (encode("Target", target.id), "UP"),
        (encode("Target", target.id), "DOWN"),
        (encode("Target", target.id), "UP"),
    ]
    assert datetime.fromisoformat(changes[2]["statusChangedAt"]) == base


async def test_each_status_event_tells_its_own_status_even_when_delivered_late(
    live, resources, settings
):
    """The row is read at delivery; by then the target may have changed again. The
    subscriber still hears each change as it was, in order (was: DOWN, DOWN)."""
    account = await create_account(settings)
    target = await create_target(account.workspace, regions=REGIONS)
    up_at = clock.now().replace(microsecond=0) - timedelta(minutes=2)
    down_at = up_at + timedelta(minutes=1)
    await Target.filter(id=target.id).update(status=TargetStatus.DOWN, status_changed_at=down_at)

    async with subscribed(live.url, account.token, STATUS, {"w": account.workspace_gid}) as sub:
        await wait_subscribers(live.relay, account.workspace.id)
        for status, at in (("UP", up_at), ("DOWN", down_at)):
            await publish(
                resources.redis,
                "target_status",
                workspaceId=target.workspace_id,
                targetId=target.id,
                status=status,
                statusChangedAt=at.isoformat(),
            )
        seen = await sub.wait_results(2)

    changes = [r["targetStatusChanged"] for r in seen]
    assert [c["status"] for c in changes] == ["UP", "DOWN"]
    assert [datetime.fromisoformat(c["statusChangedAt"]) for c in changes] == [up_at, down_at]
