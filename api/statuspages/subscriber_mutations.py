"""Subscribing to status pages: the public mutations (visitors, no login) and the webhook
subscribers (page admins), and the members' view of a page's audience."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.core.ids import decode, decode_or_none, encode
from api.graphql.context import Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import requires
from api.statuspages import subscribers
from api.statuspages.service import visible_to
from api.statuspages.subscriber_types import (
    SUBSCRIBE_MESSAGE,
    StatusPageAudience,
    StatusPageSubscriptionPayload,
    StatusPageWebhook,
    StatusPageWebhookPayload,
    SubscribeToStatusPagePayload,
)

WRITE = [requires("targets:write")]
TOKEN = Annotated[str, strawberry.argument(description="The token of the mailed link.")]


@strawberry.type
class Query:
    @strawberry.field(
        description="Who hears about a status page: the number of confirmed subscribers "
        "(never their addresses) and, for admins, the webhook subscribers. Null for an "
        "unknown or foreign page.",
        permission_classes=[requires("targets:read")],
    )
    async def status_page_audience(
        self,
        info: Info,
        status_page_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the status page.")
        ],
    ) -> StatusPageAudience | None:
        principal = info.context.principal
        pk = decode_or_none(status_page_id, "StatusPage")
        page = await visible_to(principal).get_or_none(id=pk) if pk is not None else None
        if page is None:
            return None
        return StatusPageAudience(
            subscriber_count=await subscribers.subscriber_count(page.id),
            webhooks=[
                StatusPageWebhook.from_model(w)
                for w in await subscribers.page_webhooks(principal, page.id)
            ],
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Public, no login: ask for a status page's updates by e-mail. A "
        "confirmation link is mailed; the answer is the same whether or not the page exists "
        "or the address is already subscribed. Throttled per client and per address."
    )
    @domain_errors_in(SubscribeToStatusPagePayload)
    async def subscribe_to_status_page(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="The page's slug.")],
        email: Annotated[str, strawberry.argument(description="The address to send to.")],
        password: Annotated[
            str | None, strawberry.argument(description="PASSWORD pages: the page's password.")
        ] = None,
    ) -> SubscribeToStatusPagePayload:
        await subscribers.subscribe(
            info.context.resources,
            slug=slug,
            email=email,
            password=password,
            client_ip=info.context.client_ip,
        )
        return SubscribeToStatusPagePayload(message=SUBSCRIBE_MESSAGE)

    @strawberry.mutation(
        description="Public, no login: confirm a subscription from its mailed link (once)."
    )
    @domain_errors_in(StatusPageSubscriptionPayload)
    async def confirm_status_page_subscription(
        self, info: Info, token: TOKEN
    ) -> StatusPageSubscriptionPayload:
        row = await subscribers.confirm(token)
        slug = await subscribers.slug_of(row.page_id)
        return StatusPageSubscriptionPayload(slug=slug)

    @strawberry.mutation(
        description="Public, no login: stop a subscription from the link of any of its mails "
        "(the same answer for a link already used)."
    )
    @domain_errors_in(StatusPageSubscriptionPayload)
    async def unsubscribe_from_status_page(
        self, info: Info, token: TOKEN
    ) -> StatusPageSubscriptionPayload:
        await subscribers.unsubscribe(token)
        return StatusPageSubscriptionPayload()

    @strawberry.mutation(
        description="Add a webhook subscriber to a status page (workspace admins and owners).",
        permission_classes=WRITE,
    )
    @domain_errors_in(StatusPageWebhookPayload)
    async def add_status_page_webhook(
        self,
        info: Info,
        status_page_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the status page.")
        ],
        url: Annotated[
            str, strawberry.argument(description="The http(s) URL that receives the POSTs.")
        ],
    ) -> StatusPageWebhookPayload:
        row, secret = await subscribers.add_webhook(
            info.context.principal,
            info.context.resources,
            page_id=decode(status_page_id, "StatusPage", field="statusPageId"),
            url=url,
        )
        return StatusPageWebhookPayload(webhook=StatusPageWebhook.from_model(row), secret=secret)

    @strawberry.mutation(
        description="Remove a webhook subscriber (workspace admins and owners).",
        permission_classes=WRITE,
    )
    @domain_errors_in(DeletePayload)
    async def remove_status_page_webhook(self, info: Info, id: strawberry.ID) -> DeletePayload:
        pk = await subscribers.remove_webhook(
            info.context.principal, decode(id, "StatusPageWebhook")
        )
        return DeletePayload(deleted_id=strawberry.ID(encode("StatusPageWebhook", pk)))
