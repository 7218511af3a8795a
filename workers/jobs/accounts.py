"""Account jobs: the worker side of requestPasswordReset (lookup off the request path)."""

from __future__ import annotations

from typing import Any

from api.accounts.access_tokens import send_expiry_notices
from api.accounts.service import send_password_reset_email as _send


async def send_password_reset_email(ctx: dict[str, Any], *, email: str) -> bool:
    return await _send(ctx["resources"], email)


async def notify_expiring_tokens(ctx: dict[str, Any]) -> int:
    """Mail the owners of personal access tokens that expire within a week."""
    return await send_expiry_notices(ctx["resources"])
