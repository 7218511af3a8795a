"""Notification deliveries are counted in Hitflow's own metrics by kind and outcome."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.incidents.service import process_transitions
from api.metrics.own import REGISTRY
from api.notifications.models import ChannelKind
from api.targets.models import TargetStatus
from tests.alerting.conftest import alert_overrides, receiver, settings_overrides  # noqa: F401
from tests.alerting.receiver import Answer
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET, create_channel
from tests.factories.targets import create_target, transition


def count(outcome: str) -> float:
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for s in family.samples:
            if s.name == "hitflow_notification_deliveries_total" and s.labels == {
                "kind": "WEBHOOK",
                "outcome": outcome,
            }:
                return s.value
    return 0.0


async def test_a_retried_then_sent_webhook_counts_one_retry_and_one_sent(
    resources,
    settings,
    receiver,  # noqa: F811 (the alerting tests' fixture)
    run_core_jobs,
) -> None:
    before = {o: count(o) for o in ("sent", "retry", "failed")}
    receiver.script("/hook", Answer(500))
    account = await create_account(settings)
    channel = await create_channel(
        resources, account, ChannelKind.WEBHOOK,
        {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
    )  # fmt: skip
    target = await create_target(account.workspace, channels=[channel], status=TargetStatus.UP)
    await transition(target, TargetStatus.DOWN, cause="connection refused")
    await process_transitions(resources)
    await run_core_jobs()
    assert count("retry") - before["retry"] == 1
    assert count("sent") - before["sent"] == 1
    assert count("failed") - before["failed"] == 0
