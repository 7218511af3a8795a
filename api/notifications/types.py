"""GraphQL types of alert channels and deliveries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.core.errors import DomainError
from api.core.ids import encode
from api.graphql.context import Info
from api.graphql.errors import InvalidArgument
from api.graphql.loaders import by_key, loader
from api.graphql.nodes import resolve_scoped
from api.graphql.pagination import Connection, paginate
from api.graphql.payloads import MutationPayload
from api.graphql.permissions import read_back
from api.incidents.models import EventKind
from api.notifications import models, service
from api.notifications.config_types import ChannelConfig, ChannelConfigInput, config_output
from api.notifications.models import ChannelKind, DeliveryStatus

# strawberry.enum marks the model enum itself as the GraphQL enum (one class, one set of values).
strawberry.enum(ChannelKind, description="Where an alert channel delivers.")
strawberry.enum(DeliveryStatus, description="Where one delivery stands.")
strawberry.enum(EventKind, name="AlertEventKind", description="What an alert tells.")


WEBHOOK_HELP = (
    " WEBHOOK deliveries are JSON POSTs signed with the channel secret: header "
    "X-Hitflow-Timestamp (unix seconds) and X-Hitflow-Signature: sha256=<hex "
    "HMAC-SHA256(secret, timestamp + '.' + raw body)>; reject old timestamps to stop replays."
)


@strawberry.type(
    description="A place alerts go to (e-mail, chat, paging, SMS, webhook)." + WEBHOOK_HELP
)
class AlertChannel(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="Display name.")
    kind: ChannelKind = strawberry.field(description="The provider.")
    enabled: bool = strawberry.field(description="Whether alerts are sent to it.")
    verified: bool = strawberry.field(
        description="False while an e-mail address has not confirmed it wants alerts."
    )
    config: JSON = strawberry.field(
        description="Public settings; secrets read ********.",
        deprecation_reason="Use typedConfig (typed per kind); config goes in a later release.",
    )
    disabled_reason: str | None = strawberry.field(
        description="Why Hitflow disabled it (repeated delivery failures), if it did."
    )
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.AlertChannel) -> AlertChannel:
        return cls(
            pk=row.id,
            name=row.name,
            kind=ChannelKind(str(row.kind)),
            enabled=row.enabled,
            verified=row.verified,
            config=JSON(dict(row.config or {})),
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
        )

    @strawberry.field(description="Settings, typed per kind; secrets read ********.")
    def typed_config(self) -> ChannelConfig:
        return config_output(self.kind, cast(dict[str, Any], self.config or {}))

    @strawberry.field(description="Its delivery log, newest first.")
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> NotificationConnection:
        query = service.notifications_visible_to(info.context.principal).filter(channel_id=self.pk)
        try:
            page = await paginate(query, first=first, after=after, to_node=Notification.from_model)
        except DomainError as exc:
            raise InvalidArgument(exc.message, argument=exc.field) from None
        return NotificationConnection(
            edges=page.edges, page_info=page.page_info, total_count=page.total_count
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info, node_ids, scope="alerts:read", query=service.visible_to, to_node=cls.from_model
        )


async def load_channel(info: Info, channel_id: int | None) -> AlertChannel | None:
    if channel_id is None:
        return None
    principal = info.context.principal

    async def batch(ids: Sequence[int]) -> list[Any]:
        return by_key(await service.visible_to(principal).filter(id__in=list(ids)), ids)

    row = await loader(info.context, "alertChannel.byId", batch).load(channel_id)
    return AlertChannel.from_model(row) if row else None


@strawberry.type(description="One delivery of one alert to one channel, with its attempts.")
class Notification:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    event: str = strawberry.field(
        description="What it tells: DOWN, UP, DEGRADED, REMINDER, SUMMARY or TEST.",
        deprecation_reason="Use kind (an enum); event goes in a later release.",
    )
    kind: EventKind = strawberry.field(description="What it tells.")
    status: DeliveryStatus = strawberry.field(description="PENDING, SENT, FAILED or SUPPRESSED.")
    attempts: int = strawberry.field(description="How many times sending was tried.")
    last_error: str | None = strawberry.field(description="The last failure, if any.")
    sent_at: datetime | None = strawberry.field(description="When the provider accepted it.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    channel_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Notification) -> Notification:
        return cls(
            id=strawberry.ID(encode("Notification", row.id)),
            event=row.kind,
            kind=EventKind(str(row.kind)),
            status=DeliveryStatus(str(row.status)),
            attempts=row.attempts,
            last_error=row.last_error,
            sent_at=row.sent_at,
            created_at=row.created_at,
            channel_id=row.channel_id,
        )

    @strawberry.field(description="The channel (null once deleted).")
    async def channel(self, info: Info) -> AlertChannel | None:
        return await load_channel(info, self.channel_id)


@strawberry.type(name="NotificationConnection", description="A page of deliveries.")
class NotificationConnection(Connection[Notification]):
    pass


async def workspace_channels(info: Info, workspace_id: int) -> list[AlertChannel]:
    query = service.visible_to(info.context.principal).filter(workspace_id=workspace_id)
    return [AlertChannel.from_model(c) for c in await query.order_by("id")]


@strawberry.input(description="A new alert channel. config keys depend on the kind.")
class AlertChannelInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace that owns it.")
    name: str = strawberry.field(description="Display name.")
    kind: ChannelKind = strawberry.field(description="The provider.")
    config: JSON | None = strawberry.field(
        default=None,
        description=(
            "EMAIL: address · WEBHOOK: url, secret · SLACK/DISCORD/TEAMS: webhookUrl · "
            "TELEGRAM: botToken, chatId · PAGERDUTY: routingKey · OPSGENIE: apiKey · "
            "SMS: accountSid, authToken, from, to · NTFY: topicUrl, token · "
            "PUSHOVER: appToken, userKey. Secrets are write-only."
        ),
        deprecation_reason="Use typedConfig; config goes in a later release.",
    )
    typed_config: ChannelConfigInput | None = strawberry.field(
        default=None, description="Settings: the field named for the kind."
    )
    enabled: bool = strawberry.field(default=True, description="Whether alerts are sent to it.")


@strawberry.input(description="Changes to an alert channel; omitted secrets are kept.")
class AlertChannelPatch:
    name: str | None = strawberry.field(default=None, description="Display name.")
    config: JSON | None = strawberry.field(
        default=None,
        description="New settings.",
        deprecation_reason="Use typedConfig; config goes in a later release.",
    )
    typed_config: ChannelConfigInput | None = strawberry.field(
        default=None, description="New settings; omitted or masked secrets are kept."
    )
    enabled: bool | None = strawberry.field(
        default=None, description="Enable (also clears a failure-disable) or disable."
    )


@strawberry.type(description="The answer of the alert channel mutations.")
class AlertChannelPayload(MutationPayload):
    alert_channel: AlertChannel | None = strawberry.field(
        default=None,
        description="The channel; null for a credential without alerts:read.",
        extensions=read_back("alerts:read"),
    )


@strawberry.type(description="The answer of sendTestNotification.")
class NotificationPayload(MutationPayload):
    notification: Notification | None = strawberry.field(
        default=None,
        description="The queued delivery; null for a credential without alerts:read.",
        extensions=read_back("alerts:read"),
    )


@strawberry.type(description="The answer of setWorkspaceAlertPolicy.")
class AlertPolicyPayload(MutationPayload):
    policy: JSON | None = strawberry.field(
        default=None,
        description="The stored default policy (channelIds are global ids); null for a "
        "credential without alerts:read.",
        extensions=read_back("alerts:read"),
    )


def public_policy(policy: dict[str, Any]) -> JSON:
    out = dict(policy)
    if policy.get("channelIds") is not None:
        out["channelIds"] = [encode("AlertChannel", i) for i in policy["channelIds"]]
    return JSON(out)
