"""`statusPageChanged(slug)`: the public page, live (no login).

Counted against the public status page limit per client IP (api.statuspages.queries).
An unknown slug, or a PASSWORD page without the right password, opens a subscription
like any other that never emits (no enumeration). A change of the page's visibility or
password, or its deletion, ends the subscription (`complete`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from starlette.websockets import WebSocket

from api.graphql.context import Info
from api.live.relay import PAGE_KIND, LiveUnavailable, relay_of
from api.live.subscriptions import SubscriptionError
from api.statuspages.live_view import access_key
from api.statuspages.queries import enforce_public_rate_limit
from api.statuspages.service import open_page
from api.statuspages.types import PublicStatusPage

NO_WORKSPACE = 0  # no workspace has this id: an unknown page's stream never gets an event


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Public, no authentication: the page's public view each time it changes "
        "(a component's target changes status, an incident opens or resolves, an update "
        "is posted). Nothing is sent for an unknown slug or a wrong password."
    )
    async def status_page_changed(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="The page's slug.")],
        password: Annotated[
            str | None, strawberry.argument(description="PASSWORD pages: the page's password.")
        ] = None,
    ) -> AsyncGenerator[PublicStatusPage, None]:
        websocket = info.context.request
        relay = relay_of(websocket)
        if relay is None or not isinstance(websocket, WebSocket):
            raise SubscriptionError("UNAVAILABLE", "Live updates need a websocket on /graphql.")
        await enforce_public_rate_limit(info)
        page = await open_page(info.context.settings, slug, password)
        try:
            subscriber = relay.subscribe(
                websocket, PAGE_KIND, page.workspace_id if page else NO_WORKSPACE
            )
        except LiveUnavailable as exc:
            raise SubscriptionError("UNAVAILABLE", str(exc)) from None
        except OverflowError as exc:
            raise SubscriptionError("LIMIT_REACHED", str(exc)) from None
        if page is not None:
            subscriber.page_id = page.id
            subscriber.page_key = access_key(page)
        return relay.stream(subscriber)
