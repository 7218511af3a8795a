"""Subscribing to status pages as a visitor does (GraphQL and the mailed links)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from tests.conftest import GraphQLClient

SUBSCRIBE = """
mutation($slug: String!, $email: String!, $password: String) {
  subscribeToStatusPage(slug: $slug, email: $email, password: $password) {
    errors { field code message }
    message
  }
}"""
CONFIRM = """
mutation($token: String!) {
  confirmStatusPageSubscription(token: $token) { errors { field code } slug }
}"""
UNSUBSCRIBE = """
mutation($token: String!) {
  unsubscribeFromStatusPage(token: $token) { errors { field code } slug }
}"""
ADD_WEBHOOK = """
mutation($id: ID!, $url: String!) {
  addStatusPageWebhook(statusPageId: $id, url: $url) {
    errors { field code }
    webhook { id host createdAt }
    secret
  }
}"""
REMOVE_WEBHOOK = """
mutation($id: ID!) { removeStatusPageWebhook(id: $id) { errors { field code } deletedId } }"""
AUDIENCE = """
query($id: ID!) {
  statusPageAudience(statusPageId: $id) { subscriberCount webhooks { id host } }
}"""


async def subscribe(
    gql: GraphQLClient, email: str, slug: str = "acme", password: str | None = None
) -> dict[str, Any]:
    return await gql(SUBSCRIBE, {"slug": slug, "email": email, "password": password})


def link(body: str, action: str) -> str:
    """The path and query of the first /status/{slug}/{action}?token=... link of a body."""
    match = re.search(r"(https?://\S+/status/[a-z0-9-]+/" + action + r"\?token=\S+)", body)
    assert match, f"no {action} link in {body!r}"
    parts = urlsplit(match.group(1))
    return f"{parts.path}?{parts.query}"


def token_of(path: str) -> str:
    return unquote(path.split("token=", 1)[1])


async def click_confirm(client: httpx.AsyncClient, body: str) -> httpx.Response:
    """What a visitor does: open the link (a page with a button), press the button."""
    path = link(body, "confirm")
    page = await client.get(path)
    assert page.status_code == 200 and "<form" in page.text
    return await client.post(path)
