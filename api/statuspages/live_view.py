"""What a live public status page receives: its fresh public view, built once per page
per API process for each event that concerns it (api.live.relay dispatches)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from api.statuspages.models import StatusPage
from api.statuspages.service import page_components, public_view
from api.statuspages.types import PublicStatusPage

# target_status: a component's target changed status; incident: opened or resolved;
# status_update: a member posted on the page (api.statuspages.notices.update_posted).
PAGE_EVENTS = frozenset({"target_status", "incident", "status_update"})

# (event, page ids) -> {page id: (access key, fresh view or None when not concerned)};
# a page missing from the answer no longer exists.
PageConverter = Callable[[dict[str, Any], list[int]], Awaitable[dict[int, tuple[str, Any]]]]


def access_key(page: StatusPage) -> str:
    """Changes when who may see the page changes (visibility, password)."""
    return f"{page.visibility.value}:{page.password_hash or ''}"


async def _concerned(page: StatusPage, event: dict[str, Any]) -> bool:
    if event.get("type") == "status_update":
        return event.get("pageId") == page.id
    target_id = event.get("targetId")
    return any(target_id in c.target_ids for c in await page_components(page.id))


async def page_views(event: dict[str, Any], page_ids: list[int]) -> dict[int, tuple[str, Any]]:
    workspace_id = event.get("workspaceId")
    out: dict[int, tuple[str, Any]] = {}
    for page in await StatusPage.filter(id__in=page_ids, workspace_id=workspace_id):
        view = None
        if await _concerned(page, event):
            view = PublicStatusPage.of(await public_view(page))
        out[page.id] = (access_key(page), view)
    return out
