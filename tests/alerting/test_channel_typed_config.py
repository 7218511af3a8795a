"""Alert channels of every kind are created and read through typed settings
(typedConfig); no secret comes back, a URL shows its host only."""

from __future__ import annotations

from api.notifications.models import ChannelKind
from tests.factories.accounts import create_account
from tests.factories.channels import SECRETS, channel_configs

FIELDS = """
  typedConfig {
    __typename
    ... on EmailChannelConfig { address }
    ... on WebhookChannelConfig { url secret }
    ... on SlackChannelConfig { webhookUrl }
    ... on SmsChannelConfig { accountSid from to authToken }
    ... on NtfyChannelConfig { topicUrl token }
  }
"""
CREATE = (
    "mutation($input: AlertChannelInput!) { createAlertChannel(input: $input) {"
    f" alertChannel {{ id kind {FIELDS} }} errors {{ field code message }} }} }}"
)
UPDATE = (
    "mutation($id: ID!, $input: AlertChannelPatch!) { updateAlertChannel(id: $id, input: $input)"
    f" {{ alertChannel {{ id {FIELDS} }} errors {{ field code message }} }} }}"
)


def _typed(kind: ChannelKind, config: dict[str, object]) -> dict[str, object]:
    return {kind.value.lower(): config}


async def test_every_kind_is_created_typed_and_reads_back_without_secrets(
    gql, settings, receiver
) -> None:
    account = await create_account(settings)
    shown = {}
    for kind, config in channel_configs(receiver.url, account.user.email).items():
        variables = {
            "input": {
                "workspaceId": account.workspace_gid,
                "name": kind.value,
                "kind": kind.value,
                "typedConfig": _typed(kind, config),
            }
        }
        result = await gql(CREATE, variables, token=account.token)
        payload = result["data"]["createAlertChannel"]
        assert payload["errors"] == [], (kind, payload)
        assert not any(secret in str(result) for secret in SECRETS), kind
        shown[kind] = payload["alertChannel"]["typedConfig"]
    assert shown[ChannelKind.EMAIL] == {
        "__typename": "EmailChannelConfig",
        "address": account.user.email,
    }
    assert shown[ChannelKind.SLACK] == {
        "__typename": "SlackChannelConfig",
        "webhookUrl": f"{receiver.url}/********",
    }
    assert shown[ChannelKind.SMS]["from"] == "+15550001111"
    assert shown[ChannelKind.SMS]["authToken"] == "********"
    assert shown[ChannelKind.NTFY]["token"] == "********"


async def test_typed_update_keeps_left_out_secrets_and_refuses_another_kind(
    gql, settings, receiver
) -> None:
    account = await create_account(settings)
    config = channel_configs(receiver.url, account.user.email)[ChannelKind.SMS]
    created = await gql(
        CREATE,
        {
            "input": {
                "workspaceId": account.workspace_gid,
                "name": "pager",
                "kind": "SMS",
                "typedConfig": {"sms": config},
            }
        },
        token=account.token,
    )
    channel_id = created["data"]["createAlertChannel"]["alertChannel"]["id"]
    changed = {k: v for k, v in config.items() if k != "authToken"} | {"to": "+15559998888"}
    updated = await gql(
        UPDATE, {"id": channel_id, "input": {"typedConfig": {"sms": changed}}}, token=account.token
    )
    assert updated["data"]["updateAlertChannel"]["errors"] == []
    typed = updated["data"]["updateAlertChannel"]["alertChannel"]["typedConfig"]
    assert typed["to"] == "+15559998888" and typed["authToken"] == "********"

    wrong = await gql(
        CREATE,
        {
            "input": {
                "workspaceId": account.workspace_gid,
                "name": "wrong",
                "kind": "SLACK",
                "typedConfig": {"sms": config},
            }
        },
        token=account.token,
    )
    errors = wrong["data"]["createAlertChannel"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("typedConfig", "INVALID")]
