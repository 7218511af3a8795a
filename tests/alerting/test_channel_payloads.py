"""A target goes down then up: every channel kind receives its provider's payload shape."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from api.core.ids import encode
from api.incidents.models import Incident
from api.incidents.service import process_transitions
from api.notifications.models import ChannelKind, DeliveryStatus, Notification
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account
from tests.factories.channels import (
    NTFY_TOKEN,
    OPSGENIE_KEY,
    PD_KEY,
    PUSHOVER_APP,
    PUSHOVER_USER,
    TELEGRAM_TOKEN,
    TWILIO_SID,
    TWILIO_TOKEN,
    WEBHOOK_SECRET,
    channel_configs,
    create_channel,
)
from tests.factories.targets import create_target, transition


def target_link(settings, target) -> str:
    return f"{settings.effective_app_url}/targets/{encode('Target', target.id)}"


async def _all_channels(resources, receiver, account):
    configs = channel_configs(receiver.url, account.user.email)
    return [await create_channel(resources, account, kind, cfg) for kind, cfg in configs.items()]


async def test_down_then_up_reaches_every_channel_in_its_provider_shape(
    resources, settings, receiver, mailbox, run_core_jobs
) -> None:
    account = await create_account(settings, email="owner@example.test")
    channels = await _all_channels(resources, receiver, account)
    assert all(c.verified for c in channels)  # the e-mail is a verified member's
    target = await create_target(
        account.workspace, name="Shop front", channels=channels, status=TargetStatus.UP
    )
    link = target_link(settings, target)

    # When the target goes down
    await transition(
        target,
        TargetStatus.DOWN,
        cause="HTTP 503 Service Unavailable",
        regions=["eu-west", "us-east"],
    )
    assert await process_transitions(resources) == 1
    await run_core_jobs()

    incident = await Incident.get(target_id=target.id)
    assert incident.resolved_at is None and incident.cause == "HTTP 503 Service Unavailable"
    sent = await Notification.filter(event__incident_id=incident.id)
    assert len(sent) == len(ChannelKind) and {n.status for n in sent} == {DeliveryStatus.SENT}

    # Then each provider got what its API documents
    (mail,) = mailbox.to("owner@example.test")
    assert mail["Subject"] == "[Hitflow] DOWN: Shop front"
    body = mail.get_content()
    assert "Shop front is down since" in body and "HTTP 503 Service Unavailable" in body
    assert "eu-west, us-east" in body and link in body

    (hook,) = receiver.at("/hook/in")
    ts = hook.headers["x-hitflow-timestamp"]
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.".encode() + hook.body, hashlib.sha256)
    assert hook.headers["x-hitflow-signature"] == "sha256=" + expected.hexdigest()
    payload = hook.json()
    assert payload["event"] == "DOWN" and payload["target"]["name"] == "Shop front"
    assert payload["incident"]["regions"] == ["eu-west", "us-east"] and payload["link"] == link

    (slack,) = receiver.at("/slack/")
    assert "DOWN: Shop front" in slack.json()["text"] and slack.json()["blocks"]
    (discord,) = receiver.at("/discord/")
    assert discord.json()["content"] == "DOWN: Shop front"
    assert discord.json()["embeds"][0]["url"] == link
    (teams,) = receiver.at("/teams/")
    card = teams.json()
    assert card["@type"] == "MessageCard" and card["title"] == "DOWN: Shop front"
    assert card["potentialAction"][0]["targets"][0]["uri"] == link

    tg = [r for r in receiver.at("/telegram/") if r.path.endswith("/sendMessage")]
    assert tg[0].path == f"/telegram/bot{TELEGRAM_TOKEN}/sendMessage"
    assert tg[0].json()["chat_id"] == "-1001234567890" and "Shop front" in tg[0].json()["text"]

    (pd_trigger,) = receiver.at("/pagerduty/v2/enqueue")
    trigger = pd_trigger.json()
    assert trigger["routing_key"] == PD_KEY and trigger["event_action"] == "trigger"
    assert (
        trigger["payload"]["severity"] == "critical"
        and trigger["payload"]["source"] == "Shop front"
    )
    assert trigger["payload"]["summary"].startswith("DOWN: Shop front")

    (og,) = receiver.at("/opsgenie/v2/alerts")
    assert og.headers["authorization"] == f"GenieKey {OPSGENIE_KEY}"
    assert og.json()["alias"] == trigger["dedup_key"] and og.json()["priority"] == "P1"

    (sms,) = receiver.at(f"/twilio/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
    assert sms.form()["From"] == "+15550001111" and sms.form()["To"] == "+15552223333"
    assert "Shop front" in sms.form()["Body"]
    user, _, password = base64.b64decode(sms.headers["authorization"][6:]).decode().partition(":")
    assert (user, password) == (TWILIO_SID, TWILIO_TOKEN)

    (ntfy,) = receiver.at("/ntfy/hitflow-secret-topic")
    assert ntfy.headers["title"] == "DOWN: Shop front" and ntfy.headers["priority"] == "5"
    assert ntfy.headers["authorization"] == f"Bearer {NTFY_TOKEN}" and ntfy.headers["click"] == link
    assert b"HTTP 503" in ntfy.body

    (push,) = receiver.at("/pushover/1/messages.json")
    form = push.form()
    assert (form["token"], form["user"]) == (PUSHOVER_APP, PUSHOVER_USER)
    assert form["title"] == "DOWN: Shop front" and form["url"] == link

    # When it comes back up
    receiver.requests.clear()
    await transition(target, TargetStatus.UP, regions=["eu-west", "us-east"])
    assert await process_transitions(resources) == 1
    await run_core_jobs()

    await incident.refresh_from_db()
    assert incident.resolved_at is not None
    (pd_resolve,) = receiver.at("/pagerduty/v2/enqueue")
    assert pd_resolve.json()["event_action"] == "resolve"
    assert pd_resolve.json()["dedup_key"] == trigger["dedup_key"]
    (close,) = receiver.at("/opsgenie/v2/alerts/")
    assert close.path == f"/opsgenie/v2/alerts/{trigger['dedup_key']}/close"
    assert close.query == {"identifierType": ["alias"]}
    up_mail = mailbox.to("owner@example.test")[-1]
    assert up_mail["Subject"] == "[Hitflow] UP: Shop front"
    assert "back up" in up_mail.get_content()
    assert json.loads(receiver.at("/hook/in")[0].body)["incident"]["resolved"] is True
    assert len(receiver.requests) == len(ChannelKind) - 1  # every HTTP channel, once
