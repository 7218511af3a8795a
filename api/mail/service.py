"""Outgoing e-mail: services enqueue, the core worker's `send_email` job delivers.

With no SMTP configured in development, the job prints the mail on the console so a
local user can click the link; in production it only logs that a mail was dropped.
"""

from __future__ import annotations

import sys
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from api.core.crypto import KeyRing
from api.core.logging import get_logger
from api.resources import CORE_QUEUE, Resources
from api.settings import Settings

log = get_logger(__name__)


async def send_mail(resources: Resources, *, to: str, subject: str, body: str) -> None:
    """Queue one e-mail (delivered by the core worker, retried on transient failures).

    Subject and body travel sealed with the key ring: they hold single-use links (reset,
    deletion, invitation, export) that must not sit in plaintext in Redis job data.
    """
    sealed = resources.keyring.encrypt_json({"subject": subject, "body": body})
    await resources.redis.enqueue_job("send_email", to=to, sealed=sealed, _queue_name=CORE_QUEUE)


def unseal(keyring: KeyRing, sealed: str) -> tuple[str, str]:
    """The (subject, body) that `send_mail` sealed."""
    content = keyring.decrypt_json(sealed)
    return str(content["subject"]), str(content["body"])


def build_message(settings: Settings, *, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


async def deliver(settings: Settings, message: EmailMessage) -> None:
    """Send through SMTP, or log it when no SMTP server is configured."""
    if settings.smtp_url is None:
        if settings.production:
            # Never put mailed links (single-use tokens) in production logs.
            log.warning("email_not_sent_no_smtp", to=message["To"], subject=message["Subject"])
            return
        # Development: print the whole mail on the console, outside the structured log
        # (whose redaction would hide the very token the developer has to click).
        print(
            f"\n----- e-mail (no SMTP configured) -----\nTo: {message['To']}\n"
            f"Subject: {message['Subject']}\n\n{message.get_content()}"
            "----- end of e-mail -----\n",
            file=sys.stderr,
            flush=True,
        )
        log.info("email_printed_no_smtp", to=message["To"], subject=message["Subject"])
        return
    url = urlsplit(settings.smtp_url)
    await aiosmtplib.send(
        message,
        hostname=url.hostname or "localhost",
        port=url.port or (465 if url.scheme == "smtps" else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=url.scheme == "smtps",
        start_tls=None if url.scheme == "smtp" else False,
        timeout=15,
    )
