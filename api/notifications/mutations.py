"""Alert channel mutations, the confirmation link, test sends and the workspace default policy."""

from __future__ import annotations

import strawberry

from api.core.ids import decode, encode
from api.graphql.context import Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import requires
from api.graphql.typed import chosen_config
from api.notifications import service
from api.notifications.config_types import config_from_input
from api.notifications.models import ChannelKind as ChannelKindModel
from api.notifications.policy import parse_policy, set_workspace_default
from api.notifications.types import (
    AlertChannel,
    AlertChannelInput,
    AlertChannelPatch,
    AlertChannelPayload,
    AlertPolicyPayload,
    Notification,
    NotificationPayload,
    public_policy,
)
from api.targets.types import AlertPolicyInput

WRITE = [requires("alerts:write")]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add an alert channel to a workspace.", permission_classes=WRITE
    )
    @domain_errors_in(AlertChannelPayload)
    async def create_alert_channel(
        self, info: Info, input: AlertChannelInput
    ) -> AlertChannelPayload:
        row = await service.create_channel(
            info.context.resources,
            info.context.principal,
            workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
            name=input.name,
            kind=ChannelKindModel(input.kind.value),
            config=chosen_config(
                input.config,
                input.typed_config,
                lambda typed: config_from_input(typed, ChannelKindModel(input.kind.value)),
                required=True,
            ),
            enabled=input.enabled,
        )
        return AlertChannelPayload(alert_channel=AlertChannel.from_model(row))

    @strawberry.mutation(
        description="Change an alert channel (omitted secrets are kept).", permission_classes=WRITE
    )
    @domain_errors_in(AlertChannelPayload)
    async def update_alert_channel(
        self, info: Info, id: strawberry.ID, input: AlertChannelPatch
    ) -> AlertChannelPayload:
        row = await service.update_channel(
            info.context.resources,
            info.context.principal,
            decode(id, "AlertChannel"),
            name=input.name,
            config=chosen_config(
                input.config,
                input.typed_config,
                lambda typed: config_from_input(typed, None),
                required=False,
            ),
            enabled=input.enabled,
        )
        return AlertChannelPayload(alert_channel=AlertChannel.from_model(row))

    @strawberry.mutation(description="Delete an alert channel.", permission_classes=WRITE)
    @domain_errors_in(DeletePayload)
    async def delete_alert_channel(self, info: Info, id: strawberry.ID) -> DeletePayload:
        pk = await service.delete_channel(info.context.principal, decode(id, "AlertChannel"))
        return DeletePayload(deleted_id=strawberry.ID(encode("AlertChannel", pk)))

    @strawberry.mutation(
        description="Send a test alert through a channel now.", permission_classes=WRITE
    )
    @domain_errors_in(NotificationPayload)
    async def send_test_notification(
        self, info: Info, channel_id: strawberry.ID
    ) -> NotificationPayload:
        row = await service.send_test(
            info.context.resources,
            info.context.principal,
            decode(channel_id, "AlertChannel", field="channelId"),
        )
        return NotificationPayload(notification=Notification.from_model(row))

    @strawberry.mutation(
        description=(
            "Confirm, from the link e-mailed to it, that an address accepts alerts "
            "(no login needed: the link is the proof)."
        )
    )
    @domain_errors_in(AlertChannelPayload)
    async def confirm_alert_channel(self, info: Info, token: str) -> AlertChannelPayload:
        row = await service.confirm_channel(token)
        principal = info.context.principal
        # Only members allowed to read alert settings (alerts:read) see the channel itself.
        allowed = principal.has_scope("alerts:read") and principal.can_read(row.workspace_id)
        shown = AlertChannel.from_model(row) if allowed else None
        return AlertChannelPayload(alert_channel=shown)

    @strawberry.mutation(
        description="Set the alert policy of the workspace's targets that have none.",
        permission_classes=WRITE,
    )
    @domain_errors_in(AlertPolicyPayload)
    async def set_workspace_alert_policy(
        self, info: Info, workspace_id: strawberry.ID, policy: AlertPolicyInput
    ) -> AlertPolicyPayload:
        principal = info.context.principal
        ws = decode(workspace_id, "Workspace", field="workspaceId")
        service.require_writer(principal, ws, field="workspaceId")
        parsed = await parse_policy(ws, policy.to_raw(field="policy"), field="policy")
        await set_workspace_default(ws, parsed)
        return AlertPolicyPayload(policy=public_policy(parsed))
