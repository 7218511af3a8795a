"""Alert channel rules: scoping, creation and changes, e-mail confirmation, test sends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.queryset import QuerySet

from api.accounts.email_tokens import consume
from api.accounts.models import EmailToken
from api.auth.principal import Principal
from api.billing import limits
from api.billing.plans import Limit
from api.core import clock, ratelimit
from api.core.errors import FieldErrors, Forbidden, Invalid, LimitReached, NotFound, NotVerified
from api.core.tokens import EMAIL_PREFIX, hash_token, new_token
from api.incidents.models import AlertEvent, EventKind
from api.mail.service import send_mail
from api.notifications import delivery
from api.notifications.channels import check_urls, public_view, split_config
from api.notifications.models import AlertChannel, ChannelKind, Notification
from api.notifications.transports import telegram
from api.resources import Resources
from api.workspaces.models import Membership

CONFIRM_PURPOSE = "confirm_channel"
CONFIRM_TTL = timedelta(days=7)
MAX_CHANNELS_PER_WORKSPACE = 50
MAX_CONFIRMATIONS_PER_HOUR = 10


def visible_to(principal: Principal) -> QuerySet[AlertChannel]:
    """The channels of the principal's workspaces (the only way to read them)."""
    return AlertChannel.filter(workspace_id__in=principal.workspace_ids)


def notifications_visible_to(principal: Principal) -> QuerySet[Notification]:
    return Notification.filter(workspace_id__in=principal.workspace_ids)


def require_writer(principal: Principal, workspace_id: int, *, field: str = "id") -> None:
    principal.check_two_factor(workspace_id, field=field)
    if not principal.can_read(workspace_id):
        raise NotFound(field=field)
    if not principal.can_write(workspace_id):
        raise Forbidden("Your role in this workspace cannot change alerting.")


def _name(raw: str | None) -> str:
    name = (raw or "").strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("The name must have 1 to 100 characters.", field="name")
    return name


async def _writable_channel(
    principal: Principal, channel_id: int, *, field: str = "id"
) -> AlertChannel:
    """The channel, if the principal may change it; NotFound names `field` (the argument)."""
    channel = await visible_to(principal).get_or_none(id=channel_id)
    if channel is None:
        raise NotFound("No AlertChannel with this id.", field=field)
    require_writer(principal, channel.workspace_id, field=field)
    return channel


async def _validate(
    resources: Resources, kind: ChannelKind, config: Any, stored: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    public, secrets = split_config(kind, config, stored_secrets=stored)
    await check_urls(resources.settings, kind, secrets)
    if kind == ChannelKind.TELEGRAM:
        exists = await telegram.chat_exists(
            resources.http,
            resources.settings.telegram_api_url.rstrip("/"),
            secrets["botToken"],
            public["chatId"],
        )
        if exists is False:
            raise Invalid(
                "Telegram does not know this chat for this bot: check chatId and that the bot "
                "was added to the chat.",
                field="config.chatId",
            )
    return public, secrets


async def _member_address(workspace_id: int, address: str) -> bool:
    return await Membership.filter(
        workspace_id=workspace_id, user__email=address, user__email_verified=True
    ).exists()


async def _reserve_confirmation(resources: Resources, workspace_id: int) -> None:
    """Count a confirmation mail against the hourly limit, BEFORE the channel is saved:
    LimitReached must leave nothing stored."""
    wait = await ratelimit.hit(
        resources.redis,
        f"alert-confirm:{workspace_id}",
        limit=MAX_CONFIRMATIONS_PER_HOUR,
        window_seconds=3600,
    )
    if wait is not None:
        raise LimitReached(
            f"Too many confirmation e-mails; try again in {wait} s.", field="config.address"
        )


async def _ask_confirmation(resources: Resources, channel: AlertChannel) -> None:
    """Mail the confirmation link (the limit was reserved by `_reserve_confirmation`)."""
    token = new_token(EMAIL_PREFIX)
    await EmailToken.create(
        user=None,
        purpose=CONFIRM_PURPOSE,
        token_hash=hash_token(token),
        payload={"channelId": channel.id, "address": channel.config["address"]},
        expires_at=clock.now() + CONFIRM_TTL,
    )
    link = f"{resources.settings.effective_app_url}/confirm-channel?token={token}"
    await send_mail(
        resources,
        to=channel.config["address"],
        subject="Confirm that you want Hitflow alerts at this address",
        body=(
            "Someone added this address as an alert channel in Hitflow, a website monitoring "
            "service. Nothing will be sent here unless you confirm:\n\n"
            f"{link}\n\n"
            "If you did not expect this, ignore this e-mail: you will not hear from us again."
        ),
    )


async def _store(
    resources: Resources,
    channel: AlertChannel,
    public: dict[str, Any],
    secrets: dict[str, Any],
) -> None:
    channel.config = public_view(channel.kind, public, secrets)
    channel.secrets_encrypted = resources.keyring.encrypt_json(secrets) if secrets else None


async def create_channel(
    resources: Resources,
    principal: Principal,
    *,
    workspace_id: int,
    name: str,
    kind: ChannelKind,
    config: Any,
    enabled: bool = True,
) -> AlertChannel:
    require_writer(principal, workspace_id, field="workspaceId")
    errors = FieldErrors()  # the name's and every config key's errors at once
    name = errors.check(_name, name)
    checked = await errors.check_async(_validate(resources, kind, config))
    errors.raise_any()
    if await AlertChannel.filter(workspace_id=workspace_id).count() >= MAX_CHANNELS_PER_WORKSPACE:
        raise LimitReached(f"At most {MAX_CHANNELS_PER_WORKSPACE} alert channels per workspace.")
    public, secrets = checked
    channel = AlertChannel(workspace_id=workspace_id, name=name, kind=kind, enabled=enabled)
    await _store(resources, channel, public, secrets)
    if kind == ChannelKind.EMAIL:
        channel.verified = await _member_address(workspace_id, public["address"])
    if not channel.verified:
        await _reserve_confirmation(resources, workspace_id)
    async with limits.room_for(resources.settings, workspace_id, Limit.CHANNELS):
        await channel.save()
    if not channel.verified:
        await _ask_confirmation(resources, channel)
    return channel


async def update_channel(
    resources: Resources,
    principal: Principal,
    channel_id: int,
    *,
    name: str | None = None,
    config: Any = None,
    enabled: bool | None = None,
) -> AlertChannel:
    channel = await _writable_channel(principal, channel_id)
    kind = ChannelKind(channel.kind)
    if name is not None:
        channel.name = _name(name)
    readdress = False
    if config is not None:
        stored = (
            resources.keyring.decrypt_json(channel.secrets_encrypted)
            if channel.secrets_encrypted
            else {}
        )
        public, secrets = await _validate(resources, kind, config, stored)
        if kind == ChannelKind.EMAIL and public["address"] != channel.config.get("address"):
            channel.verified = await _member_address(channel.workspace_id, public["address"])
            readdress = not channel.verified
            if readdress:
                await _reserve_confirmation(resources, channel.workspace_id)
        await _store(resources, channel, public, secrets)
    if enabled is not None:
        if enabled and not channel.enabled:
            channel.consecutive_failures = 0
            channel.disabled_reason = None
        channel.enabled = enabled
    await channel.save()
    if readdress:
        await _ask_confirmation(resources, channel)
    return channel


async def delete_channel(principal: Principal, channel_id: int) -> int:
    channel = await _writable_channel(principal, channel_id)
    await channel.delete()
    return channel_id


async def confirm_channel(token: str) -> AlertChannel:
    """The recipient clicked the link: the channel may now receive alerts."""
    row = await consume(token, CONFIRM_PURPOSE)
    channel = await AlertChannel.get_or_none(id=row.payload.get("channelId"))
    if channel is None or channel.config.get("address") != row.payload.get("address"):
        raise Invalid("This link is invalid or was already used.", field="token")
    channel.verified = True
    await channel.save(update_fields=["verified"])
    return channel


async def send_test(resources: Resources, principal: Principal, channel_id: int) -> Notification:
    channel = await _writable_channel(principal, channel_id, field="channelId")
    if not channel.verified:
        raise NotVerified("The address has not confirmed it wants alerts yet.", field="channelId")
    if not channel.enabled:
        raise Invalid("The channel is disabled; enable it first.", field="channelId")
    wait = await ratelimit.hit(
        resources.redis, f"alert-test:{channel.id}", limit=10, window_seconds=3600
    )
    if wait is not None:
        raise LimitReached(
            f"Too many test notifications; try again in {wait} s.", field="channelId"
        )
    now = clock.now()
    event = await AlertEvent.create(
        workspace_id=channel.workspace_id,
        kind=EventKind.TEST,
        dedupe_key=f"test:{channel.id}:{new_token('')[:16]}",
        at=now,
    )
    (notification,) = await delivery.notify_event(resources, event, [channel])
    return notification
