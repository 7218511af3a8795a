"""Alert channel mutations, the confirmation link, test sends and the workspace default policy."""

from __future__ import annotations

from typing import Any

import strawberry

from api.core.errors import DomainError
from api.graphql.context import Info
from api.graphql.errors import user_errors
from api.graphql.ids import decode, encode
from api.graphql.payloads import DeletePayload
from api.graphql.permissions import requires
from api.notifications import policy, service
from api.notifications.models import ChannelKind as ChannelKindModel
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


def _policy_raw(value: AlertPolicyInput) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "channelIds": list(value.channel_ids),
        "notifyOn": [s.value for s in value.notify_on] if value.notify_on is not None else None,
        "remindEveryMinutes": value.remind_every_minutes,
        "certificateExpiryDays": value.certificate_expiry_days,
        "downConfirmRegions": value.down_confirm_regions,
        "retries": value.retries,
    }
    return {k: v for k, v in raw.items() if v is not None}


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add an alert channel to a workspace.", permission_classes=WRITE
    )
    async def create_alert_channel(
        self, info: Info, input: AlertChannelInput
    ) -> AlertChannelPayload:
        try:
            row = await service.create_channel(
                info.context.resources,
                info.context.principal,
                workspace_id=decode(input.workspace_id, "Workspace", field="workspaceId"),
                name=input.name,
                kind=ChannelKindModel(input.kind.value),
                config=input.config,
                enabled=input.enabled,
            )
        except DomainError as exc:
            return AlertChannelPayload(errors=user_errors(exc))
        return AlertChannelPayload(alert_channel=AlertChannel.from_model(row))

    @strawberry.mutation(
        description="Change an alert channel (omitted secrets are kept).", permission_classes=WRITE
    )
    async def update_alert_channel(
        self, info: Info, id: strawberry.ID, input: AlertChannelPatch
    ) -> AlertChannelPayload:
        try:
            row = await service.update_channel(
                info.context.resources,
                info.context.principal,
                decode(id, "AlertChannel"),
                name=input.name,
                config=input.config,
                enabled=input.enabled,
            )
        except DomainError as exc:
            return AlertChannelPayload(errors=user_errors(exc))
        return AlertChannelPayload(alert_channel=AlertChannel.from_model(row))

    @strawberry.mutation(description="Delete an alert channel.", permission_classes=WRITE)
    async def delete_alert_channel(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            pk = await service.delete_channel(info.context.principal, decode(id, "AlertChannel"))
        except DomainError as exc:
            return DeletePayload(errors=user_errors(exc))
        return DeletePayload(deleted_id=strawberry.ID(encode("AlertChannel", pk)))

    @strawberry.mutation(
        description="Send a test alert through a channel now.", permission_classes=WRITE
    )
    async def send_test_notification(
        self, info: Info, channel_id: strawberry.ID
    ) -> NotificationPayload:
        try:
            row = await service.send_test(
                info.context.resources,
                info.context.principal,
                decode(channel_id, "AlertChannel", field="channelId"),
            )
        except DomainError as exc:
            return NotificationPayload(errors=user_errors(exc))
        return NotificationPayload(notification=Notification.from_model(row))

    @strawberry.mutation(
        description=(
            "Confirm, from the link e-mailed to it, that an address accepts alerts "
            "(no login needed: the link is the proof)."
        )
    )
    async def confirm_alert_channel(self, info: Info, token: str) -> AlertChannelPayload:
        try:
            row = await service.confirm_channel(token)
        except DomainError as exc:
            return AlertChannelPayload(errors=user_errors(exc))
        principal = info.context.principal
        # Only members allowed to read alert settings (alerts:read) see the channel itself.
        allowed = principal.has_scope("alerts:read") and principal.can_read(row.workspace_id)
        shown = AlertChannel.from_model(row) if allowed else None
        return AlertChannelPayload(alert_channel=shown)

    @strawberry.mutation(
        description="Set the alert policy of the workspace's targets that have none.",
        permission_classes=WRITE,
    )
    async def set_workspace_alert_policy(
        self, info: Info, workspace_id: strawberry.ID, policy: AlertPolicyInput
    ) -> AlertPolicyPayload:
        principal = info.context.principal
        try:
            ws = decode(workspace_id, "Workspace", field="workspaceId")
            service.require_writer(principal, ws, field="workspaceId")
            parsed = await _parse(ws, policy)
            await _store(ws, parsed)
        except DomainError as exc:
            return AlertPolicyPayload(errors=user_errors(exc))
        return AlertPolicyPayload(policy=public_policy(parsed))


async def _parse(workspace_id: int, value: AlertPolicyInput) -> dict[str, Any]:
    return await policy.parse_policy(workspace_id, _policy_raw(value), field="policy")


async def _store(workspace_id: int, parsed: dict[str, Any]) -> None:
    await policy.set_workspace_default(workspace_id, parsed)
