"""E-mail through the deployment's SMTP server (config: address, plus smtpUrl/mailFrom)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import httpx

from api.mail.service import print_on_console
from api.notifications.transports.base import TransportError


async def notify(
    http: httpx.AsyncClient, config: dict[str, Any], secrets: dict[str, Any], message: Any
) -> None:
    mail = EmailMessage()
    mail["From"] = config["mailFrom"]
    mail["To"] = config["address"]
    mail["Subject"] = f"[Hitflow] {message.title}"
    mail.set_content(message.text + "\n")
    smtp_url = config.get("smtpUrl")
    if not smtp_url:
        if config.get("consoleWithoutSmtp"):
            print_on_console(mail)  # development: shown like every other mail
            return
        # Production without SMTP: a failed delivery the channel shows, never "SENT".
        raise TransportError("No SMTP server is configured (HITFLOW_SMTP_URL)", permanent=True)
    url = urlsplit(smtp_url)
    try:
        await aiosmtplib.send(
            mail,
            hostname=url.hostname or "localhost",
            port=url.port or (465 if url.scheme == "smtps" else 25),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=url.scheme == "smtps",
            start_tls=None if url.scheme == "smtp" else False,
            timeout=15,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise TransportError("The mail server refused the address", permanent=True) from exc
    except aiosmtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.code < 600
        raise TransportError(f"The mail server answered {exc.code}", permanent=permanent) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise TransportError(f"The mail server is unreachable ({type(exc).__name__})") from exc
