"""The newest result of a target is looked for in the last day first, then wider (so
PostgreSQL reads the newest partitions only): a target that last reported long ago
still shows its last result, and the newest one always wins."""

from __future__ import annotations

from datetime import timedelta

from api.core import clock
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account
from tests.factories.results import create_result
from tests.factories.targets import create_target

PAGE = """{ viewer { workspaces { targets(first: 10) { edges { node {
  name lastResult { region status checkedAt }
} } } } } }"""


async def test_last_result_of_recent_old_and_silent_targets(gql, settings) -> None:
    owner = await create_account(settings)
    now = clock.now()
    recent = await create_target(owner.workspace, name="recent", status=TargetStatus.UP)
    weeks = await create_target(owner.workspace, name="weeks", status=TargetStatus.UP)
    months = await create_target(owner.workspace, name="months", status=TargetStatus.UP)
    await create_target(owner.workspace, name="silent", status=TargetStatus.UP)
    await create_result(recent, at=now - timedelta(days=3), region="us-east")
    await create_result(recent, at=now - timedelta(minutes=1), region="eu-west")
    await create_result(weeks, at=now - timedelta(days=20), region="us-east", status="DOWN")
    await create_result(weeks, at=now - timedelta(days=40), region="eu-west")
    await create_result(months, at=now - timedelta(days=200), region="ap-south")

    result = await gql(PAGE, token=owner.token)

    assert "errors" not in result, result
    nodes = {
        e["node"]["name"]: e["node"]["lastResult"]
        for e in result["data"]["viewer"]["workspaces"][0]["targets"]["edges"]
    }
    assert nodes["recent"]["region"] == "eu-west"
    assert (nodes["weeks"]["region"], nodes["weeks"]["status"]) == ("us-east", "DOWN")
    assert nodes["months"]["region"] == "ap-south"
    assert nodes["silent"] is None
