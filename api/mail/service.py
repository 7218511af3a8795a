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


async def send_mail(
    resources: Resources,
    *,
    to: str,
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    job_id: str | None = None,
) -> None:
    """Queue one e-mail (delivered by the core worker, retried on transient failures).

    Subject, body and extra headers travel sealed with the key ring: they hold single-use
    links (reset, deletion, invitation, export, unsubscribe) that must not sit in
    plaintext in Redis job data. `job_id` makes a repeated enqueue a no-op.
    """
    content: dict[str, object] = {"subject": subject, "body": body}
    if headers:
        content["headers"] = headers
    sealed = resources.keyring.encrypt_json(content)
    await resources.redis.enqueue_job(
        "send_email", to=to, sealed=sealed, _queue_name=CORE_QUEUE, _job_id=job_id
    )


def unseal(keyring: KeyRing, sealed: str) -> tuple[str, str]:
    """The (subject, body) that `send_mail` sealed."""
    content = keyring.decrypt_json(sealed)
    return str(content["subject"]), str(content["body"])


def unseal_headers(keyring: KeyRing, sealed: str) -> dict[str, str]:
    """The extra headers that `send_mail` sealed ({} when none)."""
    content = keyring.decrypt_json(sealed)
    return {str(k): str(v) for k, v in (content.get("headers") or {}).items()}


def build_message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def print_on_console(message: EmailMessage) -> None:
    """Development without SMTP: print the whole mail on the console, outside the
    structured log (whose redaction would hide the very token the developer has to
    click). Never called in production."""
    print(
        f"\n----- e-mail (no SMTP configured) -----\nTo: {message['To']}\n"
        f"Subject: {message['Subject']}\n\n{message.get_content()}"
        "----- end of e-mail -----\n",
        file=sys.stderr,
        flush=True,
    )
    log.info("email_printed_no_smtp", to=message["To"], subject=message["Subject"])


async def deliver(settings: Settings, message: EmailMessage) -> None:
    """Send through SMTP, or log it when no SMTP server is configured."""
    if settings.smtp_url is None:
        if settings.production:
            # Never put mailed links (single-use tokens) in production logs.
            log.warning("email_not_sent_no_smtp", to=message["To"], subject=message["Subject"])
            return
        print_on_console(message)
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
