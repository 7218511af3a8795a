"""GraphQL documents and small helpers of the billing tests."""

from __future__ import annotations

from typing import Any

from api.core.ids import encode
from api.targets.models import Target

CHECKOUT = """mutation($ws: ID!, $plan: PlanName!, $provider: PaymentProvider!, $cur: String!) {
  startCheckout(workspaceId: $ws, plan: $plan, provider: $provider, currency: $cur) {
    redirectUrl errors { field code message } } }"""
CANCEL = """mutation($ws: ID!) { cancelSubscription(workspaceId: $ws) {
  billing { status cancelAtPeriodEnd } errors { code message } } }"""
CHANGE = """mutation($ws: ID!, $plan: PlanName!) { changePlan(workspaceId: $ws, plan: $plan) {
  billing { plan } errors { code message } } }"""
PORTAL = """mutation($ws: ID!) { openBillingPortal(workspaceId: $ws) {
  redirectUrl errors { code message } } }"""
BILLING = """query($ws: ID!) { node(id: $ws) { ... on Workspace {
  billing { plan status provider currentPeriodEnd cancelAtPeriodEnd graceEndsAt }
  usage { targets channels members }
  limits { targets minIntervalSeconds regionsPerTarget }
  invoices { totalCount edges { node { amount currency status url } } }
  billingEvents { kind plan status } } } }"""
CREATE_TARGET = """mutation($input: TargetInput!) { createTarget(input: $input) {
  target { id } errors { field code message } } }"""


def target_input(ws: str, n: int = 0, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "workspaceId": ws,
        "name": f"Site {n}",
        "kind": "HTTP",
        "config": {"url": f"https://example{n}.test/"},
        "intervalSeconds": 300,
        "timeoutSeconds": 10,
        "regions": ["eu-west"],
    }
    values.update(overrides)
    return values


def gid(target: Target | int) -> str:
    return encode("Target", target if isinstance(target, int) else target.id)


def session_id(url: str) -> str:
    return url.rsplit("/", 1)[1]
