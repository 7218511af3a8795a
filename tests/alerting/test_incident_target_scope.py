"""Incident.target needs targets:read: an alerts:read token does not read the target."""

from __future__ import annotations

from api.core.ids import encode
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account, create_pat
from tests.factories.incidents import create_incident
from tests.factories.targets import create_target

QUERY = """query($id: ID!) { node(id: $id) { ... on Incident { cause target { name config } } } }"""


async def test_alerts_read_token_gets_no_target(gql, settings) -> None:
    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    incident = await create_incident(target, cause="HTTP 503")
    incident_gid = encode("Incident", incident.id)
    alerts_only = await create_pat(owner.user, ["alerts:read"])
    answer = await gql(QUERY, {"id": incident_gid}, token=alerts_only)
    assert answer["data"]["node"] == {"cause": "HTTP 503", "target": None}
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "targets:read" in answer["errors"][0]["message"]
    assert "shop.example.test" not in str(answer)

    both = await create_pat(owner.user, ["alerts:read", "targets:read"])
    allowed = await gql(QUERY, {"id": incident_gid}, token=both)
    assert allowed["data"]["node"]["target"]["name"] == "Shop front"
