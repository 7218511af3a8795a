"""Typed alert-channel configs: one input and one output type per channel kind (replacing
the JSON `config`, kept one release as deprecated). The services still validate the
camelCase dict (api/notifications/channels.py); these types give clients a schema."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.core.errors import Invalid
from api.graphql.typed import input_to_dict, only_member, output_from_dict
from api.notifications.models import ChannelKind

SECRET = (
    " Write-only: reads back as ******** (a URL as its scheme and host); left out or sent"
    " back masked, the stored value is kept (required when the channel is created)."
)


@strawberry.input(description="Email channel settings.")
class EmailChannelConfigInput:
    address: str = strawberry.field(
        description="E-mail address alerts go to (confirmed by a mail when not a member's)."
    )


@strawberry.type(description="Email channel settings.")
class EmailChannelConfig:
    address: str | None = strawberry.field(
        description="E-mail address alerts go to (confirmed by a mail when not a member's)."
    )


@strawberry.input(description="Webhook channel settings.")
class WebhookChannelConfigInput:
    url: str | None = strawberry.field(
        default=None, description="https URL that receives a signed JSON POST." + SECRET
    )
    secret: str | None = strawberry.field(
        default=None, description="Signing secret, 16 to 256 characters." + SECRET
    )


@strawberry.type(description="Webhook channel settings.")
class WebhookChannelConfig:
    url: str | None = strawberry.field(
        description="https URL that receives a signed JSON POST. Reads as scheme://host/********."
    )
    secret: str | None = strawberry.field(
        description="Signing secret, 16 to 256 characters. Reads ********."
    )


@strawberry.input(description="Slack channel settings.")
class SlackChannelConfigInput:
    webhook_url: str | None = strawberry.field(
        default=None, description="Slack incoming-webhook URL." + SECRET
    )


@strawberry.type(description="Slack channel settings.")
class SlackChannelConfig:
    webhook_url: str | None = strawberry.field(
        description="Slack incoming-webhook URL. Reads as scheme://host/********."
    )


@strawberry.input(description="Discord channel settings.")
class DiscordChannelConfigInput:
    webhook_url: str | None = strawberry.field(
        default=None, description="Discord webhook URL." + SECRET
    )


@strawberry.type(description="Discord channel settings.")
class DiscordChannelConfig:
    webhook_url: str | None = strawberry.field(
        description="Discord webhook URL. Reads as scheme://host/********."
    )


@strawberry.input(description="Teams channel settings.")
class TeamsChannelConfigInput:
    webhook_url: str | None = strawberry.field(
        default=None, description="Microsoft Teams incoming-webhook URL." + SECRET
    )


@strawberry.type(description="Teams channel settings.")
class TeamsChannelConfig:
    webhook_url: str | None = strawberry.field(
        description="Microsoft Teams incoming-webhook URL. Reads as scheme://host/********."
    )


@strawberry.input(description="Telegram channel settings.")
class TelegramChannelConfigInput:
    chat_id: str = strawberry.field(description="Numeric chat id or @channelname.")
    bot_token: str | None = strawberry.field(
        default=None, description="Bot token from @BotFather." + SECRET
    )


@strawberry.type(description="Telegram channel settings.")
class TelegramChannelConfig:
    chat_id: str | None = strawberry.field(description="Numeric chat id or @channelname.")
    bot_token: str | None = strawberry.field(
        description="Bot token from @BotFather. Reads ********."
    )


@strawberry.input(description="PagerDuty channel settings.")
class PagerDutyChannelConfigInput:
    routing_key: str | None = strawberry.field(
        default=None, description="Events API v2 routing key (32 characters)." + SECRET
    )


@strawberry.type(description="PagerDuty channel settings.")
class PagerDutyChannelConfig:
    routing_key: str | None = strawberry.field(
        description="Events API v2 routing key (32 characters). Reads ********."
    )


@strawberry.input(description="Opsgenie channel settings.")
class OpsgenieChannelConfigInput:
    api_key: str | None = strawberry.field(default=None, description="Opsgenie API key." + SECRET)


@strawberry.type(description="Opsgenie channel settings.")
class OpsgenieChannelConfig:
    api_key: str | None = strawberry.field(description="Opsgenie API key. Reads ********.")


@strawberry.input(description="Sms channel settings.")
class SmsChannelConfigInput:
    account_sid: str = strawberry.field(description="Twilio account SID.")
    from_: str = strawberry.field(name="from", description="Sender number, E.164 (+15551234567).")
    to: str = strawberry.field(description="Recipient number, E.164.")
    auth_token: str | None = strawberry.field(
        default=None, description="Twilio auth token." + SECRET
    )


@strawberry.type(description="Sms channel settings.")
class SmsChannelConfig:
    account_sid: str | None = strawberry.field(description="Twilio account SID.")
    from_: str | None = strawberry.field(
        name="from", description="Sender number, E.164 (+15551234567)."
    )
    to: str | None = strawberry.field(description="Recipient number, E.164.")
    auth_token: str | None = strawberry.field(description="Twilio auth token. Reads ********.")


@strawberry.input(description="Ntfy channel settings.")
class NtfyChannelConfigInput:
    topic_url: str | None = strawberry.field(default=None, description="ntfy topic URL." + SECRET)
    token: str | None = strawberry.field(
        default=None, description="Access token (optional)." + SECRET
    )


@strawberry.type(description="Ntfy channel settings.")
class NtfyChannelConfig:
    topic_url: str | None = strawberry.field(
        description="ntfy topic URL. Reads as scheme://host/********."
    )
    token: str | None = strawberry.field(description="Access token (optional). Reads ********.")


@strawberry.input(description="Pushover channel settings.")
class PushoverChannelConfigInput:
    app_token: str | None = strawberry.field(
        default=None, description="Pushover application token." + SECRET
    )
    user_key: str | None = strawberry.field(default=None, description="Pushover user key." + SECRET)


@strawberry.type(description="Pushover channel settings.")
class PushoverChannelConfig:
    app_token: str | None = strawberry.field(
        description="Pushover application token. Reads ********."
    )
    user_key: str | None = strawberry.field(description="Pushover user key. Reads ********.")


@strawberry.input(
    one_of=True, description="A channel's settings: exactly one field, the channel's kind."
)
class ChannelConfigInput:
    email: EmailChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Email."
    )
    webhook: WebhookChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Webhook."
    )
    slack: SlackChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Slack."
    )
    discord: DiscordChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Discord."
    )
    teams: TeamsChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Teams."
    )
    telegram: TelegramChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Telegram."
    )
    pagerduty: PagerDutyChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="PagerDuty."
    )
    opsgenie: OpsgenieChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Opsgenie."
    )
    sms: SmsChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Sms."
    )
    ntfy: NtfyChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Ntfy."
    )
    pushover: PushoverChannelConfigInput | None = strawberry.field(
        default=strawberry.UNSET, description="Pushover."
    )


ChannelConfig = Annotated[
    EmailChannelConfig
    | WebhookChannelConfig
    | SlackChannelConfig
    | DiscordChannelConfig
    | TeamsChannelConfig
    | TelegramChannelConfig
    | PagerDutyChannelConfig
    | OpsgenieChannelConfig
    | SmsChannelConfig
    | NtfyChannelConfig
    | PushoverChannelConfig,
    strawberry.union("ChannelConfig", description="An alert channel's settings, by kind."),
]


OUTPUTS: dict[ChannelKind, type] = {
    ChannelKind.EMAIL: EmailChannelConfig,
    ChannelKind.WEBHOOK: WebhookChannelConfig,
    ChannelKind.SLACK: SlackChannelConfig,
    ChannelKind.DISCORD: DiscordChannelConfig,
    ChannelKind.TEAMS: TeamsChannelConfig,
    ChannelKind.TELEGRAM: TelegramChannelConfig,
    ChannelKind.PAGERDUTY: PagerDutyChannelConfig,
    ChannelKind.OPSGENIE: OpsgenieChannelConfig,
    ChannelKind.SMS: SmsChannelConfig,
    ChannelKind.NTFY: NtfyChannelConfig,
    ChannelKind.PUSHOVER: PushoverChannelConfig,
}


def _from_key(config: dict[str, Any]) -> dict[str, Any]:
    # `from` is a Python keyword: the GraphQL field is `from`, the dataclass field `from_`.
    return {("from_" if k == "from" else k): v for k, v in config.items()}


def config_from_input(value: ChannelConfigInput, kind: ChannelKind | None) -> dict[str, Any]:
    """The JSON config a typed input stands for; its member must match the channel's kind."""
    member, item = only_member(value)
    if kind is not None and member.upper() != kind.value:
        raise Invalid(
            f"typedConfig.{member} does not fit a {kind.value} channel.", field="typedConfig"
        )
    return {("from" if k == "from_" else k): v for k, v in input_to_dict(item).items()}


def config_output(kind: ChannelKind, config: dict[str, Any]) -> Any:
    """The typed view of a stored (public, secrets masked) channel config."""
    return output_from_dict(OUTPUTS[kind], _from_key(config))
