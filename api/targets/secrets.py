"""Secret values of a target config: split off, encrypted at rest, masked on output.

Storage contract (the probe spec builder merges them back):
- Target.config: the public config, each secret value replaced by SECRET_PLACEHOLDER;
- Target.secrets_encrypted: keyring.encrypt_json({"basicAuthPassword": str | None,
  "secretHeaders": {header name: value}}), or NULL when there is no secret.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from api.core.crypto import KeyRing
from api.core.errors import Invalid
from api.targets.validation import SECRET_PLACEHOLDER


def _header_key(headers: dict[str, str], name: str) -> str | None:
    for key in headers:
        if key.lower() == name.lower():
            return key
    return None


def destination(config: dict[str, Any] | None) -> tuple[Any, ...]:
    """Where a config sends its requests (scheme, host, port): secrets are bound to it."""
    config = config or {}
    url = config.get("url")
    if isinstance(url, str):
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            return ("invalid", url)
        scheme = parts.scheme.lower()
        default = {"http": 80, "https": 443}.get(scheme)
        return (scheme, (parts.hostname or "").lower().rstrip("."), port or default)
    return ("", str(config.get("host") or "").lower().rstrip("."), config.get("port"))


def split_secrets(
    config: dict[str, Any],
    previous: dict[str, Any] | None = None,
    previous_config: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(public config, secrets) from a validated config.

    A secret sent as the placeholder (or left out, for a listed secret header) keeps its
    `previous` value; with no previous value that is an error. When the destination
    (scheme, host or port) differs from `previous_config`'s, nothing is kept: a stored
    secret must be sent again, or it would go to the new host.
    """
    public = copy.deepcopy(config)
    moved = previous_config is not None and destination(config) != destination(previous_config)
    if moved and previous:
        auth_sent = (config.get("basicAuth") or {}).get("password")
        if (
            config.get("basicAuth") is not None
            and previous.get("basicAuthPassword") is not None
            and auth_sent in (None, SECRET_PLACEHOLDER)
        ):
            raise Invalid(
                "Re-enter the password when changing the URL's host.",
                field="config.basicAuth.password",
            )
        sent = config.get("headers") or {}
        for name in config.get("secretHeaders") or []:
            key = _header_key(sent, name)
            if (sent.get(key) if key else None) in (None, SECRET_PLACEHOLDER):
                raise Invalid(
                    f"Re-enter the secret header {name!r} when changing the URL's host.",
                    field="config.secretHeaders",
                )
        previous = {}
    previous = previous or {}
    old_headers: dict[str, str] = previous.get("secretHeaders") or {}
    secrets: dict[str, Any] = {"basicAuthPassword": None, "secretHeaders": {}}

    auth = public.get("basicAuth")
    if auth is not None:
        password = auth.get("password")
        if password is None or password == SECRET_PLACEHOLDER:
            password = previous.get("basicAuthPassword")
            if password is None and auth.get("password") == SECRET_PLACEHOLDER:
                raise Invalid(
                    "No password is stored yet: send it.", field="config.basicAuth.password"
                )
        secrets["basicAuthPassword"] = password
        if password is not None:
            auth["password"] = SECRET_PLACEHOLDER

    headers: dict[str, str] = public.get("headers") or {}
    for name in public.get("secretHeaders") or []:
        key = _header_key(headers, name)
        value = headers.get(key) if key else None
        if value is None or value == SECRET_PLACEHOLDER:
            old_key = _header_key(old_headers, name)
            value = old_headers.get(old_key) if old_key else None
            if value is None:
                raise Invalid(
                    f"No value is stored for the secret header {name!r}: send it.",
                    field="config.secretHeaders",
                )
        secrets["secretHeaders"][key or name] = value
        headers[key or name] = SECRET_PLACEHOLDER
    if headers:
        public["headers"] = headers

    if secrets["basicAuthPassword"] is None and not secrets["secretHeaders"]:
        return public, None
    return public, secrets


def encrypt_secrets(keyring: KeyRing, secrets: dict[str, Any] | None) -> str | None:
    return keyring.encrypt_json(secrets) if secrets else None


def decrypt_secrets(keyring: KeyRing, blob: str | None) -> dict[str, Any]:
    return keyring.decrypt_json(blob) if blob else {}


def merge_secrets(public: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    """The full config a probe needs (never returned by the API, never logged)."""
    config = copy.deepcopy(public)
    if config.get("basicAuth") is not None and secrets.get("basicAuthPassword") is not None:
        config["basicAuth"]["password"] = secrets["basicAuthPassword"]
    headers = config.get("headers") or {}
    for name, value in (secrets.get("secretHeaders") or {}).items():
        key = _header_key(headers, name) or name
        headers[key] = value
    if headers:
        config["headers"] = headers
    return config
