"""The texts mailed to a status page's subscribers, and the headers every one carries.

Every mail has the one-click unsubscribe of RFC 8058 (`List-Unsubscribe` with an https
or http URL, and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`) and the same link
in its body; the link works without login (the token is the proof).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from api.settings import Settings
from api.statuspages.models import StatusPage


def list_headers(settings: Settings, page: StatusPage, unsubscribe_url: str) -> dict[str, str]:
    host = urlsplit(settings.public_url).hostname or "localhost"
    return {
        "List-Id": f"{page.title[:60]} <{page.slug}.status.{host}>",
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def with_footer(body: str, unsubscribe_url: str) -> str:
    return (
        f"{body.rstrip()}\n\n--\nYou get this mail because this address subscribed to the "
        f"status page. Unsubscribe (one click, no login): {unsubscribe_url}\n"
    )


def confirmation(page: StatusPage, confirm_url: str) -> tuple[str, str]:
    return (
        f"Confirm your subscription to {page.title}",
        f"Someone (hopefully you) asked to receive the updates of the status page "
        f'"{page.title}" at this address.\n\nConfirm: {confirm_url}\n\n'
        "If it was not you, ignore this mail: the address is deleted in a few days.",
    )


def already_subscribed(page: StatusPage) -> tuple[str, str]:
    return (
        f"You are subscribed to {page.title}",
        f'This address already receives the updates of the status page "{page.title}". '
        "Someone asked to subscribe it again; nothing changed.",
    )


def notice(page: StatusPage, page_url: str, title: str, text: str) -> tuple[str, str]:
    return (f"[{page.title}] {title}", f"{title}\n\n{text}\n\nThe status page: {page_url}")
