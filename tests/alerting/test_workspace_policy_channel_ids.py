"""setWorkspaceAlertPolicy decodes channel ids at the GraphQL edge, like a target's policy."""

from __future__ import annotations

from api.core.ids import encode
from api.notifications.models import ChannelKind
from tests.factories.accounts import create_account
from tests.factories.channels import WEBHOOK_SECRET, create_channel

SET_DEFAULT = """mutation($ws: ID!, $policy: AlertPolicyInput!) {
  setWorkspaceAlertPolicy(workspaceId: $ws, policy: $policy) { policy errors { field code } }
}"""
READ_DEFAULT = """query($id: ID!) { node(id: $id) { ... on Workspace { alertPolicy } } }"""


async def test_channel_ids_are_stored_once_and_bad_ones_name_the_field(
    gql, resources, settings, receiver
) -> None:
    # Given a workspace with two channels
    owner = await create_account(settings)
    first, second = [
        await create_channel(
            resources, owner, ChannelKind.WEBHOOK,
            {"url": f"{receiver.url}/hook/{n}", "secret": WEBHOOK_SECRET},
        )
        for n in (1, 2)
    ]  # fmt: skip
    ids = [encode("AlertChannel", first.id), encode("AlertChannel", second.id)]

    # When the default names both (one twice), it is stored with each channel once
    result = await gql(
        SET_DEFAULT,
        {"ws": owner.workspace_gid, "policy": {"channelIds": [*ids, ids[0]]}},
        token=owner.token,
    )
    assert result["data"]["setWorkspaceAlertPolicy"]["errors"] == []
    assert result["data"]["setWorkspaceAlertPolicy"]["policy"]["channelIds"] == ids

    # When an id is malformed or of another type, the error names policy.channelIds
    for bad in ("garbage", encode("Target", first.id)):
        refused = await gql(
            SET_DEFAULT,
            {"ws": owner.workspace_gid, "policy": {"channelIds": [ids[1], bad]}},
            token=owner.token,
        )
        assert refused["data"]["setWorkspaceAlertPolicy"] == {
            "policy": None,
            "errors": [{"field": "policy.channelIds", "code": "NOT_FOUND"}],
        }, bad

    # Then the stored default is still the first one
    read = await gql(READ_DEFAULT, {"id": owner.workspace_gid}, token=owner.token)
    assert read["data"]["node"]["alertPolicy"]["channelIds"] == ids
