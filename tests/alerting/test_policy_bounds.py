"""One alert-policy rule: a target's own policy and the workspace default accept and
refuse the same values (api.notifications.policy.parse_policy)."""

from __future__ import annotations

from typing import Any

import pytest

from api.notifications.models import WorkspaceAlertDefault
from api.targets.models import Target
from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, http_input

SET_DEFAULT = """mutation($ws: ID!, $policy: AlertPolicyInput!) {
  setWorkspaceAlertPolicy(workspaceId: $ws, policy: $policy) { policy errors { field code } }
}"""

REFUSED = [
    ({"retries": 0}, "retries"),  # DOWN needs at least one failed check
    ({"retries": 11}, "retries"),
    ({"certificateExpiryDays": [0]}, "certificateExpiryDays"),
    ({"certificateExpiryDays": [366]}, "certificateExpiryDays"),
]


async def _create_target(gql: Any, owner: Any, policy: dict[str, Any]) -> Any:
    data = http_input(owner.workspace_gid, alertPolicy=policy)
    result = await gql(CREATE, {"input": data}, token=owner.token)
    return result["data"]["createTarget"]


async def _set_default(gql: Any, owner: Any, policy: dict[str, Any]) -> Any:
    result = await gql(
        SET_DEFAULT, {"ws": owner.workspace_gid, "policy": policy}, token=owner.token
    )
    return result["data"]["setWorkspaceAlertPolicy"]


@pytest.mark.parametrize(("values", "key"), REFUSED)
async def test_both_entry_points_refuse_the_same_values(
    gql: Any, settings: Any, values: dict[str, Any], key: str
) -> None:
    owner = await create_account(settings)
    policy = {"channelIds": [], **values}

    created = await _create_target(gql, owner, policy)
    default = await _set_default(gql, owner, policy)

    assert [(e["field"], e["code"]) for e in created["errors"]] == [
        (f"alertPolicy.{key}", "INVALID")
    ]
    assert [(e["field"], e["code"]) for e in default["errors"]] == [(f"policy.{key}", "INVALID")]
    assert await Target.all().count() == 0
    assert await WorkspaceAlertDefault.all().count() == 0


async def test_both_entry_points_accept_the_edges(gql: Any, settings: Any) -> None:
    owner = await create_account(settings)
    for policy in (
        {"channelIds": [], "retries": 1, "certificateExpiryDays": [1]},
        {"channelIds": [], "retries": 10, "certificateExpiryDays": [365]},
    ):
        created = await _create_target(gql, owner, policy)
        default = await _set_default(gql, owner, policy)
        assert created["errors"] == [] and default["errors"] == []
        assert created["target"]["alertPolicy"]["retries"] == policy["retries"]
        assert default["policy"]["certificateExpiryDays"] == policy["certificateExpiryDays"]
