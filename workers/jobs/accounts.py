"""Account jobs: the worker side of requestPasswordReset (lookup off the request path)."""

from __future__ import annotations

from typing import Any

from api.accounts.service import send_password_reset_email as _send


async def send_password_reset_email(ctx: dict[str, Any], *, email: str) -> bool:
    return await _send(ctx["resources"], email)
