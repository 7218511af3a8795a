"""GraphQL types of status page subscribers and webhook subscribers."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.core.ids import encode
from api.graphql.payloads import MutationPayload
from api.statuspages import subscriber_models

SUBSCRIBE_MESSAGE = "If this address can subscribe to this page, a confirmation mail is on its way."


@strawberry.type(description="A URL that gets a signed POST for each notice of a status page.")
class StatusPageWebhook:
    id: strawberry.ID = strawberry.field(description="Global id of the webhook.")
    host: str = strawberry.field(description="The host of its URL (the URL is not shown again).")
    created_at: datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_model(cls, row: subscriber_models.StatusPageWebhook) -> StatusPageWebhook:
        return cls(
            id=strawberry.ID(encode("StatusPageWebhook", row.id)),
            host=row.host,
            created_at=row.created_at,
        )


@strawberry.type(
    description="Who hears about a status page. Subscribers' addresses are personal data "
    "of the page's visitors: only their number is shown."
)
class StatusPageAudience:
    subscriber_count: int = strawberry.field(description="Confirmed e-mail subscribers.")
    webhooks: list[StatusPageWebhook] = strawberry.field(
        description="Webhook subscribers (admins and owners only; empty for other members)."
    )


@strawberry.type(description="The answer of subscribeToStatusPage (alike for every address).")
class SubscribeToStatusPagePayload(MutationPayload):
    message: str | None = strawberry.field(
        default=None, description="What to tell the visitor; null on failure."
    )


@strawberry.type(
    description="The answer of confirmStatusPageSubscription and unsubscribeFromStatusPage."
)
class StatusPageSubscriptionPayload(MutationPayload):
    slug: str | None = strawberry.field(
        default=None, description="The page's slug (after a confirmation); null otherwise."
    )


@strawberry.type(description="The answer of addStatusPageWebhook.")
class StatusPageWebhookPayload(MutationPayload):
    webhook: StatusPageWebhook | None = strawberry.field(
        default=None, description="The webhook; null on failure."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The key the POSTs are signed with (HMAC-SHA256, as for webhook alert "
        "channels). Shown once.",
    )
