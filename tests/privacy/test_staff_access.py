"""Staff read customer data only with a reason; each read lands in the customer's
accessLog; staff never see secrets; legal holds are placed and lifted with a reason."""

from __future__ import annotations

from api.accounts.models import User
from api.privacy.models import AuditEvent
from api.targets.models import TargetStatus
from tests.factories.accounts import create_account, create_pat
from tests.factories.targets import create_target
from tests.privacy.helpers import SECRET

STAFF_USER = """query($e: String!, $r: String!) { staffUser(email: $e, reason: $r) {
  id email isActive legalHold workspaces { id name role targets } } }"""
STAFF_WS = """query($id: ID!, $r: String!) { staffWorkspace(id: $id, reason: $r) {
  name members { email role } targets { name kind status regions } } }"""
ACCESS_LOG = """{ viewer { user { accessLog(first: 10) { totalCount
  edges { node { id actor action reason at } } } } } }"""
HOLD = """mutation($e: String!, $r: String!) { placeLegalHold(email: $e, reason: $r) {
  legalHold errors { field code } } }"""
LIFT = """mutation($e: String!, $r: String!) { liftLegalHold(email: $e, reason: $r) {
  legalHold errors { field code } } }"""


async def test_a_staff_read_appears_in_the_customers_access_log(gql, settings, resources) -> None:
    staff = await create_account(settings, staff=True)
    ada = await create_account(settings, email="ada@example.test")
    await create_target(
        ada.workspace,
        name="Ada shop",
        status=TargetStatus.UP,
        secrets={"basicAuth.password": SECRET},
        keyring=resources.keyring,
    )

    result = await gql(
        STAFF_USER, {"e": "ada@example.test", "r": "Ticket #4521: login trouble"}, token=staff.token
    )
    view = result["data"]["staffUser"]
    assert view["email"] == "ada@example.test"
    assert view["workspaces"][0]["targets"] == 1

    log = (await gql(ACCESS_LOG, token=ada.token))["data"]["viewer"]["user"]["accessLog"]
    assert log["totalCount"] == 1
    event = log["edges"][0]["node"]
    assert event["reason"] == "Ticket #4521: login trouble"
    assert event["action"] == "staff.read_account"
    assert event["actor"] == f"Hitflow staff #{staff.user.id}"
    # The staff member's own log is not the customer's
    staff_log = (await gql(ACCESS_LOG, token=staff.token))["data"]["viewer"]["user"]["accessLog"]
    assert staff_log["totalCount"] == 0
    # The event is a node only its subject can fetch
    node = "query($id: ID!) { node(id: $id) { ... on AuditEvent { reason } } }"
    assert (await gql(node, {"id": event["id"]}, token=ada.token))["data"]["node"]
    assert (await gql(node, {"id": event["id"]}, token=staff.token))["data"]["node"] is None


async def test_workspace_view_has_no_secrets_and_is_logged_for_every_member(
    gql, settings, resources
) -> None:
    from api.workspaces.models import Role
    from tests.factories.accounts import add_member

    staff = await create_account(settings, staff=True)
    ada = await create_account(settings)
    bob = await create_account(settings)
    await add_member(ada.workspace, bob.user, Role.VIEWER)
    await create_target(
        ada.workspace,
        name="Ada shop",
        status=TargetStatus.UP,
        secrets={"basicAuth.password": SECRET},
        keyring=resources.keyring,
    )
    result = await gql(
        STAFF_WS, {"id": ada.workspace_gid, "r": "Incident review #77"}, token=staff.token
    )
    assert "errors" not in result, result
    view = result["data"]["staffWorkspace"]
    assert view["targets"] == [
        {"name": "Ada shop", "kind": "HTTP", "status": "UP", "regions": ["eu-west", "us-east"]}
    ]
    assert SECRET not in str(result) and "example.test/" not in str(result)
    for member in (ada, bob):
        log = (await gql(ACCESS_LOG, token=member.token))["data"]["viewer"]["user"]["accessLog"]
        assert [e["node"]["reason"] for e in log["edges"]] == ["Incident review #77"]


async def test_no_reason_no_read(gql, settings) -> None:
    staff = await create_account(settings, staff=True)
    ada = await create_account(settings)
    for reason in ("", "   ", "hi"):
        result = await gql(STAFF_USER, {"e": ada.user.email, "r": reason}, token=staff.token)
        assert result["data"] is None or result["data"]["staffUser"] is None
        assert result["errors"][0]["extensions"]["code"] == "INVALID"
    assert await AuditEvent.all().count() == 0


async def test_only_staff_sessions_may_read(gql, settings) -> None:
    staff = await create_account(settings, staff=True)
    ada = await create_account(settings)
    variables = {"e": ada.user.email, "r": "Ticket #1 support"}
    customer = await gql(STAFF_USER, variables, token=ada.token)
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(STAFF_USER, variables)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    staff_pat = await create_pat(staff.user, ["account:read"])
    by_token = await gql(STAFF_USER, variables, token=staff_pat)
    assert by_token["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ws = await gql(STAFF_WS, {"id": ada.workspace_gid, "r": "Ticket #1 support"}, token=ada.token)
    assert ws["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stats = await gql("{ usageStatistics { metric } }", token=ada.token)
    assert stats["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await AuditEvent.all().count() == 0


async def test_unknown_targets_read_as_null(gql, settings) -> None:
    staff = await create_account(settings, staff=True)
    r = "Ticket #2 support"
    assert (await gql(STAFF_USER, {"e": "nobody@example.test", "r": r}, token=staff.token))[
        "data"
    ] == {"staffUser": None}
    assert (await gql(STAFF_WS, {"id": "bogus", "r": r}, token=staff.token))["data"] == {
        "staffWorkspace": None
    }


async def test_legal_hold_is_placed_and_lifted_with_a_reason(gql, settings) -> None:
    staff = await create_account(settings, staff=True)
    ada = await create_account(settings)
    e = ada.user.email
    bad = await gql(HOLD, {"e": e, "r": ""}, token=staff.token)
    assert bad["data"]["placeLegalHold"]["errors"] == [{"field": "reason", "code": "INVALID"}]
    missing = await gql(HOLD, {"e": "no@example.test", "r": "Court order 12"}, token=staff.token)
    assert missing["data"]["placeLegalHold"]["errors"] == [{"field": "email", "code": "NOT_FOUND"}]
    placed = await gql(HOLD, {"e": e, "r": "Court order 2026-118"}, token=staff.token)
    assert placed["data"]["placeLegalHold"] == {"legalHold": True, "errors": []}
    assert (await User.get(id=ada.user.id)).legal_hold
    lifted = await gql(LIFT, {"e": e, "r": "Order expired"}, token=staff.token)
    assert lifted["data"]["liftLegalHold"] == {"legalHold": False, "errors": []}
    actions = (
        await AuditEvent.filter(subject_id=ada.user.id)
        .order_by("id")
        .values_list("action", "reason", "actor_user_id")
    )
    assert actions == [
        ("legal_hold.placed", "Court order 2026-118", staff.user.id),
        ("legal_hold.lifted", "Order expired", staff.user.id),
    ]
    customer = await gql(HOLD, {"e": e, "r": "Court order 12"}, token=ada.token)
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for document in (HOLD, LIFT):
        anonymous = await gql(document, {"e": e, "r": "Court order 12"})
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        lifted_by_customer = await gql(document, {"e": e, "r": "Court order 12"}, token=ada.token)
        assert lifted_by_customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
