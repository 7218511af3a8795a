"""A live subscriber told DOWN from half of an instant hears the correction when the rest
of the instant withdraws it (api/targets/state.py, the same-instant rule)."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.core import clock
from api.core.ids import encode
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
