"""An upstream's later notices name every dependent attached to its incident, those
confirmed DOWN after its first page included: the reminders list them, and the recovery
notice says which are still DOWN (they then get their own incident). Every channel kind
carries it, as its provider's payload allows; checked at the real local receivers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.core import clock
from api.incidents.models import IncidentCause
from api.incidents.service import send_reminders
from api.notifications.models import ChannelKind
from api.targets import dependencies
from api.targets.models import TargetStatus
from tests.alerting.receiver import Receiver
from tests.dependencies.helpers import deliveries, incident_of, process_transitions, settle
from tests.factories.accounts import create_account, owner_principal
from tests.factories.channels import TWILIO_SID, channel_configs, create_channel
from tests.factories.targets import create_target, transition

EMAIL = "oncall@example.test"


@pytest.fixture
def settings_overrides(receiver: Receiver) -> dict[str, Any]:
    base = receiver.url
    return {
        "telegram_api_url": f"{base}/telegram",
        "pagerduty_api_url": f"{base}/pagerduty",
        "opsgenie_api_url": f"{base}/opsgenie",
        "twilio_api_url": f"{base}/twilio",
        "pushover_api_url": f"{base}/pushover",
        "alert_retry_base_seconds": 0.05,
        "alert_retry_max_seconds": 2,
        "alert_http_timeout_seconds": 2,
        "dependency_settle_seconds": 1.0,
    }


def texts(receiver: Receiver, mailbox: Any, marker: str) -> dict[str, str]:
    """Per text channel, the latest message received that holds `marker`, in its
    human-readable part."""
    every = {
        "slack": [r.json()["text"] for r in receiver.at("/slack/")],
        "discord": [r.json()["embeds"][0]["description"] for r in receiver.at("/discord/")],
        "teams": [r.json()["text"] for r in receiver.at("/teams/")],
        "telegram": [
            r.json()["text"] for r in receiver.at("/telegram/") if r.path.endswith("/sendMessage")
        ],
        "sms": [
            r.form()["Body"] for r in receiver.at(f"/twilio/2010-04-01/Accounts/{TWILIO_SID}/")
        ],
        "ntfy": [r.body.decode() for r in receiver.at("/ntfy/")],
        "pushover": [r.form()["message"] for r in receiver.at("/pushover/")],
        "webhook": [r.json()["text"] for r in receiver.at("/hook/in")],
        "email": mailbox.bodies(EMAIL),
    }
    found: dict[str, str] = {}
    for kind, messages in every.items():
        found[kind] = ([m for m in messages if marker in m] or [f"nothing with {marker!r}"])[-1]
    return found


async def test_reminders_and_recovery_name_dependents_that_joined_after_the_page(
    resources, settings, receiver, mailbox, run_core_jobs
) -> None:
    # Given A, with B and C depending on it, alerting on every channel kind
    account = await create_account(settings, email=EMAIL)
    configs = channel_configs(receiver.url, EMAIL)
    channels = [await create_channel(resources, account, k, c) for k, c in configs.items()]
    a, b, c = [
        await create_target(
            account.workspace,
            name=name,
            channels=channels,
            alert_policy={"remindEveryMinutes": 5},
            status=TargetStatus.UP,
        )
        for name in ("A", "B", "C")
    ]
    for dependent in (b, c):
        await dependencies.set_dependencies(
            owner_principal(account), dependent.id, [dependencies.Ref("Target", a.id)]
        )

    # A and B go down: one page, naming B
    await transition(a, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await transition(b, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await process_transitions(resources)
    assert await settle(resources) == 1
    await run_core_jobs()
    (page,) = receiver.at("/hook/in")
    assert page.json()["incident"]["affectedTargets"] == ["B"]

    # C is confirmed DOWN after that page went out: attached, suppressed, not paged
    clock.advance(timedelta(minutes=1))
    await transition(c, TargetStatus.DOWN, cause="CONNECT_ERROR")
    await process_transitions(resources)
    await settle(resources)
    c_attached = await incident_of(c)
    assert c_attached.cause_kind == IncidentCause.UPSTREAM
    assert await deliveries(c) == [("DOWN", "SUPPRESSED")] * len(ChannelKind)
    await run_core_jobs()
    assert len(receiver.at("/hook/in")) == 1

    # When the reminder goes out, every channel names B and C
    receiver.requests.clear()
    clock.advance(timedelta(minutes=5))
    assert await send_reminders(resources) == 1
    await run_core_jobs()
    (hook,) = receiver.at("/hook/in")
    incident = hook.json()["incident"]
    assert hook.json()["event"] == "REMINDER" and hook.json()["target"]["name"] == "A"
    assert incident["affectedTargets"] == ["B", "C"]
    assert incident["stillDownTargets"] == ["B", "C"]
    (pd,) = receiver.at("/pagerduty/v2/enqueue")
    details = pd.json()["payload"]["custom_details"]
    assert details["affectedTargets"] == ["B", "C"] and details["stillDownTargets"] == ["B", "C"]
    (og,) = receiver.at("/opsgenie/v2/alerts")
    assert og.json()["details"]["stillDownTargets"] == "B, C"
    assert "(and 2 dependents)" in og.json()["message"]
    line = "Also down, because they depend on A (no separate alerts): B, C."
    for kind, text in texts(receiver, mailbox, "has been down for").items():
        assert line in text, kind
    assert mailbox.to(EMAIL)[-1]["Subject"] == "[Hitflow] Still DOWN: A (and 2 dependents)"

    # B recovers while A is still down (silently); A's next reminder says so
    await transition(b, TargetStatus.UP)
    await process_transitions(resources)
    receiver.requests.clear()
    clock.advance(timedelta(minutes=5))
    assert await send_reminders(resources) == 1
    await run_core_jobs()
    (hook,) = receiver.at("/hook/in")
    assert hook.json()["incident"]["affectedTargets"] == ["B", "C"]
    assert hook.json()["incident"]["stillDownTargets"] == ["C"]
    for kind, text in texts(receiver, mailbox, "has been down for").items():
        assert "depend on A (no separate alerts): C." in text, kind
        assert "Down with it earlier, back up since: B." in text, kind

    # When A recovers while C is still down, the recovery notice says so on every channel
    receiver.requests.clear()
    await transition(a, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    (hook,) = [r for r in receiver.at("/hook/in") if r.json()["event"] == "UP"]
    assert hook.json()["target"]["name"] == "A" and hook.json()["incident"]["resolved"] is True
    assert hook.json()["incident"]["affectedTargets"] == ["B", "C"]
    assert hook.json()["incident"]["stillDownTargets"] == ["C"]
    (pd,) = [
        r for r in receiver.at("/pagerduty/v2/enqueue") if r.json()["event_action"] == "resolve"
    ]
    assert pd.json()["payload"]["custom_details"]["stillDownTargets"] == ["C"]
    (close,) = receiver.at("/opsgenie/v2/alerts/")
    assert close.path.endswith("/close")
    assert "Not back up yet: C." in close.json()["note"]
    for kind, text in texts(receiver, mailbox, "A is back up").items():
        assert "Not back up yet: C." in text, kind
        assert "(no separate alerts): B, C." in text, kind
    assert "[Hitflow] UP: A" in [m["Subject"] for m in mailbox.to(EMAIL)]

    # ...and C then has its own incident, paged after the settle window, alone
    own_c = await incident_of(c)
    assert own_c.id != c_attached.id and own_c.cause_kind == IncidentCause.DIRECT
    await settle(resources)
    await run_core_jobs()
    pages = [(r.json()["event"], r.json()["target"]["name"]) for r in receiver.at("/hook/in")]
    assert sorted(pages) == [("DOWN", "C"), ("UP", "A")]


async def test_a_recovery_with_every_dependent_back_up_lists_none_still_down(
    resources, settings, receiver, run_core_jobs
) -> None:
    account = await create_account(settings, email=EMAIL)
    hook_channel = await create_channel(
        resources, account, ChannelKind.WEBHOOK, channel_configs(receiver.url, EMAIL)[
            ChannelKind.WEBHOOK
        ]
    )  # fmt: skip
    a, b = [
        await create_target(
            account.workspace, name=name, channels=[hook_channel], status=TargetStatus.UP
        )
        for name in ("A", "B")
    ]
    await dependencies.set_dependencies(
        owner_principal(account), b.id, [dependencies.Ref("Target", a.id)]
    )
    await transition(a, TargetStatus.DOWN)
    await transition(b, TargetStatus.DOWN)
    await process_transitions(resources)
    await settle(resources)
    await transition(b, TargetStatus.UP)
    await transition(a, TargetStatus.UP)
    await process_transitions(resources)
    await run_core_jobs()
    # Both notices are delivered by the jobs run together above: in either order.
    by_event = {r.json()["event"]: r for r in receiver.at("/hook/in")}
    assert sorted(by_event) == ["DOWN", "UP"] and len(receiver.at("/hook/in")) == 2
    up = by_event["UP"]
    assert up.json()["incident"]["affectedTargets"] == ["B"]
    assert up.json()["incident"]["stillDownTargets"] == []
    assert "Not back up yet" not in up.json()["text"]
