"""Staff grant a plan with a reason: audited (the owners see it in their access log),
refused to non-staff and without a reason."""

from __future__ import annotations

from api.billing.models import Subscription
from tests.factories.accounts import create_account

GRANT = """mutation($ws: ID!, $plan: PlanName!, $reason: String!) {
  grantPlan(workspaceId: $ws, plan: $plan, reason: $reason) { plan errors { field code } } }"""
ACCESS_LOG = "{ viewer { user { accessLog { edges { node { actor action reason } } } } } }"


async def test_staff_grant_a_plan_with_a_reason_and_the_owner_sees_it(gql, settings) -> None:
    owner = await create_account(settings)
    staff = await create_account(settings, staff=True)
    variables = {"ws": owner.workspace_gid, "plan": "BUSINESS", "reason": "Ticket 4521: partner"}

    by_owner = await gql(GRANT, variables, token=owner.token)
    no_reason = await gql(GRANT, {**variables, "reason": "ok"}, token=staff.token)
    granted = await gql(GRANT, variables, token=staff.token)

    assert by_owner["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert no_reason["data"]["grantPlan"]["errors"][0]["field"] == "reason"
    assert granted["data"]["grantPlan"] == {"plan": "BUSINESS", "errors": []}
    sub = await Subscription.get(workspace_id=owner.workspace.id)
    assert (sub.plan, sub.provider) == ("BUSINESS", "STAFF")
    log = await gql(ACCESS_LOG, token=owner.token)
    entries = [e["node"] for e in log["data"]["viewer"]["user"]["accessLog"]["edges"]]
    assert {
        "actor": f"Hitflow staff #{staff.user.id}",
        "action": "staff.grant_plan",
        "reason": "Ticket 4521: partner",
    } in entries
