"""The e-mail delivery job."""

from __future__ import annotations

from typing import Any

import aiosmtplib
from arq import Retry

from api.core.logging import get_logger
from api.mail.service import build_message, deliver, unseal, unseal_headers

log = get_logger(__name__)


async def send_email(
    ctx: dict[str, Any],
    *,
    to: str,
    sealed: str | None = None,
    subject: str = "",
    body: str = "",
) -> None:
    resources = ctx["resources"]
    settings = resources.settings
    headers: dict[str, str] = {}
    if sealed is not None:
        subject, body = unseal(resources.keyring, sealed)
        headers = unseal_headers(resources.keyring, sealed)
    message = build_message(settings, to=to, subject=subject, body=body, headers=headers)
    try:
        await deliver(settings, message)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        tries = ctx.get("job_try", 1)
        log.warning("email_delivery_failed", to=to, attempt=tries, error=type(exc).__name__)
        if tries >= 5:
            raise
        raise Retry(defer=2**tries) from exc
