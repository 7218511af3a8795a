"""Members post status updates (about an incident or the page); the page shows them."""

from __future__ import annotations

from api.core.ids import encode
from api.incidents.models import Incident
from api.incidents.service import process_transitions
from api.statuspages.models import StatusUpdate
from api.targets.models import TargetStatus
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.targets import create_target, transition
from tests.statuspages.helpers import create_page, public, three_targets

POST = """
mutation($page: ID!, $incident: ID, $title: String!, $message: String!, $state: StatusUpdateState!) {
  postStatusUpdate(statusPageId: $page, incidentId: $incident, title: $title,
                   message: $message, state: $state) {
    errors { field code }
    statusUpdate { title message state postedAt }
  }
}"""


async def _setup(gql, settings, resources):
    owner = await create_account(settings)
    targets = await three_targets(owner)
    body = await create_page(gql, owner, targets)
    page_id = body["data"]["createStatusPage"]["statusPage"]["id"]
    await transition(targets[0], TargetStatus.DOWN)
    await process_transitions(resources)
    incident = await Incident.get(target_id=targets[0].id)
    return owner, page_id, encode("Incident", incident.id)


def _vars(page_id, incident_id=None, **kw):
    return {
        "page": page_id,
        "incident": incident_id,
        "title": "Database failover",
        "message": "We are looking into <errors> & timeouts.",
        "state": "INVESTIGATING",
        **kw,
    }


async def test_a_member_posts_updates_the_page_shows(gql, settings, resources) -> None:
    owner, page_id, incident_id = await _setup(gql, settings, resources)
    member = await create_account(settings)
    await add_member(owner.workspace, member.user, Role.MEMBER)
    body = await gql(POST, _vars(page_id, incident_id), token=member.token)
    assert body["data"]["postStatusUpdate"]["errors"] == [], body
    body = await gql(
        POST,
        _vars(page_id, title="All good", message="Fixed.", state="RESOLVED"),
        token=owner.token,
    )
    assert body["data"]["postStatusUpdate"]["statusUpdate"]["state"] == "RESOLVED"

    page = (await public(gql))["data"]["statusPage"]
    assert [u["title"] for u in page["updates"]] == ["All good", "Database failover"]
    (incident,) = page["incidents"]
    # The member's update, above the default text monitoring's incident opened with.
    update, default = incident["updates"]
    assert update["message"] == "We are looking into <errors> & timeouts."
    assert update["state"] == "INVESTIGATING"
    assert default["title"] == "Investigating"
    assert default["message"].startswith("We are investigating an outage affecting Platform.")


async def test_viewers_strangers_and_read_tokens_cannot_post(gql, settings, resources) -> None:
    owner, page_id, _ = await _setup(gql, settings, resources)
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    body = await gql(POST, _vars(page_id), token=viewer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    stranger = await create_account(settings)
    body = await gql(POST, _vars(page_id), token=stranger.token)
    assert body["data"]["postStatusUpdate"]["errors"] == [
        {"field": "statusPageId", "code": "NOT_FOUND"}
    ]
    read_only = await create_pat(owner.user, ["targets:read"])
    body = await gql(POST, _vars(page_id), token=read_only)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(POST, _vars(page_id))
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await StatusUpdate.all().count() == 0


async def test_another_workspaces_incident_is_not_found(gql, settings, resources) -> None:
    owner, page_id, _ = await _setup(gql, settings, resources)
    stranger = await create_account(settings)
    theirs = await create_target(stranger.workspace, status=TargetStatus.UP)
    await transition(theirs, TargetStatus.DOWN)
    await process_transitions(resources)
    foreign = await Incident.get(target_id=theirs.id)
    body = await gql(POST, _vars(page_id, encode("Incident", foreign.id)), token=owner.token)
    assert body["data"]["postStatusUpdate"]["errors"] == [
        {"field": "incidentId", "code": "NOT_FOUND"}
    ]
    body = await gql(POST, _vars(page_id, title=""), token=owner.token)
    assert body["data"]["postStatusUpdate"]["errors"] == [{"field": "title", "code": "INVALID"}]
    body = await gql(POST, _vars(page_id, message="bell \x07 byte"), token=owner.token)
    assert body["data"]["postStatusUpdate"]["errors"] == [{"field": "message", "code": "INVALID"}]
    assert await StatusUpdate.all().count() == 0
