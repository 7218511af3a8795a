"""GraphQL documents for alert channels, and the variables to create one."""

from __future__ import annotations

from typing import Any

from tests.factories.accounts import Account

CREATE = """mutation($input: AlertChannelInput!) {
  createAlertChannel(input: $input) {
    alertChannel { id name kind enabled verified config createdAt }
    errors { field code message }
  }
}"""
UPDATE = """mutation($id: ID!, $input: AlertChannelPatch!) {
  updateAlertChannel(id: $id, input: $input) {
    alertChannel { id name enabled config } errors { field code message }
  }
}"""
DELETE = (
    """mutation($id: ID!) { deleteAlertChannel(id: $id) { deletedId errors { field code } } }"""
)
TEST = """mutation($id: ID!) {
  sendTestNotification(channelId: $id) {
    notification { id event status attempts channel { id } } errors { field code message }
  }
}"""
CHANNELS = """query($id: ID!) {
  node(id: $id) { ... on Workspace { alertChannels { id name kind enabled config } } }
}"""
CONFIRM = """mutation($token: String!) {
  confirmAlertChannel(token: $token) { alertChannel { id verified } errors { field code } }
}"""


def channel_input(
    account: Account, kind: str, config: dict[str, Any], name: str = "ops"
) -> dict[str, Any]:
    """The variables of CREATE for a channel of the account's workspace."""
    return {
        "input": {
            "workspaceId": account.workspace_gid,
            "name": name,
            "kind": kind,
            "config": config,
        }
    }
