"""Channel settings per kind: which keys are public, which are secret (write-only), and
how each is validated. Field names in errors read like "config.webhookUrl"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from api.accounts.validation import normalize_email
from api.core.errors import FieldErrors, Invalid, UnsafeTarget
from api.core.netguard import check_url_safe
from api.notifications.models import ChannelKind
from api.settings import Settings

MASK = "********"
MAX_VALUE = 2000

Check = Callable[[str, str], Any]


def _pattern(regex: str, what: str) -> Check:
    compiled = re.compile(regex)

    def check(value: str, name: str) -> str:
        if not compiled.fullmatch(value):
            raise Invalid(f"{name} is not a valid {what}.", field=f"config.{name}")
        return value

    return check


def _text(value: str, name: str) -> str:
    if not value.strip():
        raise Invalid(f"{name} is required.", field=f"config.{name}")
    return value.strip()


def _email(value: str, name: str) -> str:
    return normalize_email(value, field=f"config.{name}")


def _url(value: str, name: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise Invalid(f"{name} is not a valid URL (bad port).", field=f"config.{name}") from None
    if parts.scheme not in ("http", "https"):
        got = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise Invalid(f"{name} must start with https:// (got {got}).", field=f"config.{name}")
    if not parts.hostname:
        raise Invalid(f"{name} has no host name.", field=f"config.{name}")
    return value


def _chat_id(value: str, name: str) -> str:
    if re.fullmatch(r"-?\d{1,20}", value) or re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{4,31}", value):
        return value
    raise Invalid("chatId must be a numeric chat id or an @channelname.", field=f"config.{name}")


@dataclass(frozen=True)
class Spec:
    public: dict[str, Check] = field(default_factory=dict)
    secret: dict[str, Check] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    urls: tuple[str, ...] = ()  # user-given URLs that must pass the SSRF guard


_PHONE = _pattern(r"\+[1-9]\d{6,14}", "phone number in E.164 form (+15551234567)")

SPECS: dict[ChannelKind, Spec] = {
    ChannelKind.EMAIL: Spec(public={"address": _email}),
    ChannelKind.WEBHOOK: Spec(
        secret={"url": _url, "secret": _pattern(r".{16,256}", "secret of 16 to 256 characters")},
        urls=("url",),
    ),
    ChannelKind.SLACK: Spec(secret={"webhookUrl": _url}, urls=("webhookUrl",)),
    ChannelKind.DISCORD: Spec(secret={"webhookUrl": _url}, urls=("webhookUrl",)),
    ChannelKind.TEAMS: Spec(secret={"webhookUrl": _url}, urls=("webhookUrl",)),
    ChannelKind.TELEGRAM: Spec(
        public={"chatId": _chat_id},
        secret={"botToken": _pattern(r"\d{3,20}:[A-Za-z0-9_-]{20,100}", "Telegram bot token")},
    ),
    ChannelKind.PAGERDUTY: Spec(
        secret={"routingKey": _pattern(r"[A-Za-z0-9]{32}", "PagerDuty routing key (32 characters)")}
    ),
    ChannelKind.OPSGENIE: Spec(
        secret={
            "apiKey": _pattern(
                r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                "Opsgenie API key",
            )
        }
    ),
    ChannelKind.SMS: Spec(
        public={
            "accountSid": _pattern(r"AC[0-9a-fA-F]{32}", "Twilio account SID"),
            "from": _PHONE,
            "to": _PHONE,
        },
        secret={"authToken": _pattern(r"[0-9a-fA-F]{32}", "Twilio auth token")},
    ),
    ChannelKind.NTFY: Spec(
        secret={"topicUrl": _url, "token": _pattern(r"[\x21-\x7e]{1,200}", "ntfy access token")},
        optional=frozenset({"token"}),
        urls=("topicUrl",),
    ),
    ChannelKind.PUSHOVER: Spec(
        secret={
            "appToken": _pattern(r"[A-Za-z0-9]{30}", "Pushover application token"),
            "userKey": _pattern(r"[A-Za-z0-9]{30}", "Pushover user key"),
        }
    ),
}


def split_config(
    kind: ChannelKind, raw: Any, *, stored_secrets: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public, secrets) from a config object; omitted or masked secrets keep stored values."""
    if not isinstance(raw, dict):
        raise Invalid("config must be an object.", field="config")
    spec = SPECS[kind]
    known = set(spec.public) | set(spec.secret)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise Invalid(
            f"Unknown key(s) for {kind.value}: {unknown}; expected {sorted(known)}.",
            field=f"config.{unknown[0]}",
        )
    public: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    kept: list[str] = []
    errors = FieldErrors()  # every key's error at once
    for group, target, stored in (
        (spec.public, public, {}),
        (spec.secret, secrets, stored_secrets or {}),
    ):
        for name, check in group.items():
            value = raw.get(name)
            if name in stored and (value is None or value in (MASK, masked(name, stored, spec))):
                target[name] = stored[name]
                kept.append(name)
                continue
            if value is None or value == "":
                if name not in spec.optional:
                    errors.add(Invalid(f"{name} is required.", field=f"config.{name}"))
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or len(value) > MAX_VALUE:
                errors.add(Invalid(f"{name} must be a string.", field=f"config.{name}"))
                continue
            target[name] = errors.check(check, value.strip(), name)
    errors.raise_any()
    _require_secrets_for_new_destination(spec, secrets, stored_secrets or {}, kept)
    return public, secrets


def _destination(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port


def _require_secrets_for_new_destination(
    spec: Spec, secrets: dict[str, Any], stored: dict[str, Any], kept: list[str]
) -> None:
    """A kept (masked) secret never follows the channel to another host: when a URL's
    host changes, the other secrets must be given again."""
    moved = any(
        name in secrets
        and name in stored
        and _destination(secrets[name]) != _destination(stored[name])
        for name in spec.urls
    )
    if not moved:
        return
    for name in kept:
        if name in spec.secret and name not in spec.urls:
            raise Invalid(
                f"{name} must be given again when the destination host changes.",
                field=f"config.{name}",
            )


async def check_urls(settings: Settings, kind: ChannelKind, secrets: dict[str, Any]) -> None:
    """User-given URLs: https only (http when private networks are allowed), public IPs only."""
    allow_private = settings.probe_allow_private_networks
    for name in SPECS[kind].urls:
        url = secrets[name]
        if urlsplit(url).scheme != "https" and not allow_private:
            raise Invalid(f"{name} must be an https URL.", field=f"config.{name}")
        try:
            await check_url_safe(url, allow_private)
        except UnsafeTarget as exc:
            reason = _reason(exc)
            if not allow_private and reason not in ("cannot be resolved", "cloud metadata address"):
                reason += "; allowed only when HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS=true"
            raise UnsafeTarget(
                f"{name} points at an address Hitflow may not reach ({reason}).",
                field=f"config.{name}",
            ) from None


def _reason(exc: UnsafeTarget) -> str:
    # netguard messages name the IP and why; never echo the URL (it may hold a token).
    message = exc.message
    return message.split(" is a ", 1)[1] if " is a " in message else "cannot be resolved"


def masked_url(url: str) -> str:
    """Where a secret URL points, without its secret part: `https://hooks.slack.com/********`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/{MASK}"


def masked(name: str, secrets: dict[str, Any], spec: Spec) -> str:
    return masked_url(secrets[name]) if name in spec.urls else MASK


def public_view(
    kind: ChannelKind, public: dict[str, Any], secrets: dict[str, Any]
) -> dict[str, Any]:
    """What is stored in the clear and shown: public values, and for each secret set a mask
    (a URL keeps its scheme and host, so a form shows where alerts go). Sending a masked value
    back keeps the secret."""
    spec = SPECS[kind]
    return {**public, **{name: masked(name, secrets, spec) for name in secrets}}


def public_part(kind: ChannelKind, config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k in SPECS[kind].public}


def secret_values(secrets: dict[str, Any]) -> list[str]:
    """Every secret string, longest first, for scrubbing provider answers."""
    values = [str(v) for v in secrets.values() if v]
    return sorted(values, key=len, reverse=True)


def scrub(text: str, secrets: dict[str, Any]) -> str:
    from urllib.parse import quote

    for value in secret_values(secrets):
        for form in {value, quote(value, safe=""), quote(value)}:
            if len(form) >= 4:
                text = text.replace(form, MASK)
    return text[:500]
