"""Subscribers hear about incidents, status updates and maintenance: a mail per confirmed
address (with its one-click unsubscribe) and a signed POST per webhook, sent by a core
job, once."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio

from api.core import clock
from api.incidents.service import process_transitions
from api.resources import CORE_QUEUE
from api.statuspages import notices
from api.statuspages.subscriber_models import StatusPageNotice
from api.targets.models import TargetStatus
from tests.alerting.receiver import Answer, Receiver
from tests.conftest import free_port
from tests.factories.accounts import create_account
from tests.factories.targets import create_target, transition
from tests.statuspages.helpers import create_page, gid, three_targets
from tests.statuspages.subscriber_helpers import ADD_WEBHOOK, click_confirm, subscribe
from workers.jobs.statuspages import notify_status_page_subscribers

POST = """
mutation($page: ID!, $title: String!, $message: String!, $state: StatusUpdateState!) {
  postStatusUpdate(statusPageId: $page, title: $title, message: $message, state: $state) {
    errors { field code }
  }
}"""
MAINTENANCE = """
mutation($input: MaintenanceWindowInput!) {
  createMaintenanceWindow(input: $input) { errors { field code } }
}"""


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver(free_port())
    await server.start()
    yield server
    await server.stop()


async def _setup(gql, client, settings, mailbox, run_core_jobs, receiver):
    owner = await create_account(settings)
    targets = await three_targets(owner)
    body = await create_page(gql, owner, targets)
    page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
    # one confirmed subscriber, one who never clicked
    await subscribe(gql, "fan@example.test")
    await subscribe(gql, "lazy@example.test")
    await run_core_jobs()
    await click_confirm(client, mailbox.to("fan@example.test")[0].get_content())
    added = await gql(
        ADD_WEBHOOK, {"id": page_id, "url": f"{receiver.url}/hook"}, token=owner.token
    )
    secret = added["data"]["addStatusPageWebhook"]["secret"]
    mailbox.messages.clear()
    return owner, targets, page_id, secret


def _verify(request, secret: str) -> dict:
    timestamp = request.headers["x-hitflow-timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert request.headers["x-hitflow-signature"] == f"sha256={expected}"
    return json.loads(request.body)


async def test_a_status_update_reaches_mail_and_webhook_subscribers(
    gql, client, settings, mailbox, run_core_jobs, receiver
) -> None:
    owner, _, page_id, secret = await _setup(
        gql, client, settings, mailbox, run_core_jobs, receiver
    )
    body = await gql(
        POST,
        {"page": page_id, "title": "Slow API", "message": "We are on it.", "state": "IDENTIFIED"},
        token=owner.token,
    )
    assert body["data"]["postStatusUpdate"]["errors"] == []
    await run_core_jobs()

    # the confirmed address only, with its own one-click unsubscribe
    assert mailbox.to("lazy@example.test") == []
    (mail,) = mailbox.to("fan@example.test")
    assert mail["Subject"] == "[Acme status] [IDENTIFIED] Slow API"
    assert "We are on it." in mail.get_content()
    assert "Overall: Operational (OPERATIONAL)" in mail.get_content()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].strip("<>") in mail.get_content()
    # the webhook: a signed POST, the same scheme as webhook alert channels
    (request,) = receiver.at("/hook")
    assert request.headers["x-hitflow-event"] == "status_page.update"
    payload = _verify(request, secret)
    assert payload["page"] == {
        "slug": "acme",
        "title": "Acme status",
        "url": "http://testserver/status/acme",
    }
    assert payload["status"] == "OPERATIONAL" and payload["title"] == "[IDENTIFIED] Slow API"


async def test_an_incident_on_a_component_is_announced_without_target_details(
    gql, client, settings, mailbox, run_core_jobs, receiver, resources
) -> None:
    _, targets, _, secret = await _setup(gql, client, settings, mailbox, run_core_jobs, receiver)
    await transition(targets[1], TargetStatus.DOWN, cause="CONNECT_ERROR: refused")
    await process_transitions(resources)
    await run_core_jobs()
    (mail,) = mailbox.to("fan@example.test")
    text = mail.get_content()
    assert mail["Subject"] == "[Acme status] Incident: Platform"
    assert "Overall: Partial outage (PARTIAL_OUTAGE)" in text
    # nothing of the target itself: name, URL, query secret, error
    for secret_bit in ("internal-", "internal.example.test", "s3cr3t", "CONNECT_ERROR"):
        assert secret_bit not in text
    (request,) = receiver.at("/hook")
    payload = _verify(request, secret)
    assert payload["event"] == "status_page.incident"
    assert payload["status"] == "PARTIAL_OUTAGE"
    assert "s3cr3t" not in request.body.decode() and "internal" not in request.body.decode()


async def test_a_maintenance_window_is_announced_when_created(
    gql, client, settings, mailbox, run_core_jobs, receiver
) -> None:
    owner, targets, _, _ = await _setup(gql, client, settings, mailbox, run_core_jobs, receiver)
    starts = clock.now() + timedelta(days=2)
    body = await gql(
        MAINTENANCE,
        {
            "input": {
                "workspaceId": owner.workspace_gid,
                "targetId": gid(targets[0]),
                "name": "Database upgrade",
                "startsAt": starts.isoformat(),
                "endsAt": (starts + timedelta(hours=1)).isoformat(),
            }
        },
        token=owner.token,
    )
    assert body["data"]["createMaintenanceWindow"]["errors"] == [], body
    await run_core_jobs()
    (mail,) = mailbox.to("fan@example.test")
    assert mail["Subject"] == "[Acme status] Scheduled maintenance: Database upgrade"
    assert starts.isoformat()[:16] in mail.get_content()
    assert len(receiver.at("/hook")) == 1


async def test_a_notice_is_sent_once_however_often_its_job_runs(
    gql, client, settings, mailbox, run_core_jobs, receiver, resources
) -> None:
    owner, _, page_id, _ = await _setup(gql, client, settings, mailbox, run_core_jobs, receiver)
    body = await gql(
        POST,
        {"page": page_id, "title": "Once", "message": "Only once.", "state": "MONITORING"},
        token=owner.token,
    )
    assert body["data"]["postStatusUpdate"]["errors"] == []
    await run_core_jobs()
    (notice,) = await StatusPageNotice.all()
    ref_id = int(notice.key.split(":")[1])
    # the job runs again (a retry, a duplicate enqueue after its id expired)
    await notify_status_page_subscribers({"resources": resources}, kind="update", ref_id=ref_id)
    await notices.announce(resources, "update", ref_id)
    await run_core_jobs()
    assert len(mailbox.to("fan@example.test")) == 1
    assert len(receiver.at("/hook")) == 1
    assert await StatusPageNotice.all().count() == 1


async def test_a_failing_webhook_is_retried_then_delivered(
    gql, client, settings, mailbox, run_core_jobs, receiver
) -> None:
    owner, _, page_id, secret = await _setup(
        gql, client, settings, mailbox, run_core_jobs, receiver
    )
    receiver.script("/hook", Answer(status=503, headers={"Retry-After": "0"}))
    await gql(
        POST,
        {"page": page_id, "title": "Retry", "message": "Again.", "state": "MONITORING"},
        token=owner.token,
    )
    await run_core_jobs()
    requests = receiver.at("/hook")
    assert len(requests) == 2  # 503, then delivered
    assert requests[0].body == requests[1].body
    _verify(requests[1], secret)


async def test_nothing_is_queued_for_a_target_on_no_page(
    gql, client, settings, mailbox, run_core_jobs, receiver, resources
) -> None:
    owner, _, _, _ = await _setup(gql, client, settings, mailbox, run_core_jobs, receiver)
    elsewhere = await create_target(owner.workspace, name="not-on-the-page", status="UP")
    await transition(elsewhere, TargetStatus.DOWN)
    await process_transitions(resources)
    queued = await resources.redis.zrange(CORE_QUEUE, 0, -1)
    assert not [job for job in queued if b"statuspage" in job]
    await run_core_jobs()
    assert mailbox.to("fan@example.test") == [] and receiver.at("/hook") == []
    assert await StatusPageNotice.all().count() == 0


async def test_a_page_that_does_not_show_incidents_by_itself_does_not_announce_them(
    gql, client, settings, mailbox, run_core_jobs, receiver, resources
) -> None:
    owner, targets, page_id, _ = await _setup(
        gql, client, settings, mailbox, run_core_jobs, receiver
    )
    off = await gql(
        """mutation($id: ID!) { updateStatusPage(id: $id, patch: {autoShowIncidents: false}) {
             errors { code } } }""",
        {"id": page_id},
        token=owner.token,
    )
    assert off["data"]["updateStatusPage"]["errors"] == []
    await transition(targets[1], TargetStatus.DOWN, cause="CONNECT_ERROR: refused")
    await process_transitions(resources)
    await run_core_jobs()
    # the page shows no monitoring incident by itself, so subscribers hear nothing of it
    assert mailbox.to("fan@example.test") == [] and receiver.at("/hook") == []
