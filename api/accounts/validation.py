"""Input rules for accounts: e-mail syntax and normal form, passwords, display names."""

from __future__ import annotations

import re
import unicodedata

from api.core.errors import Invalid

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_EMAIL = 254
MAX_DISPLAY_NAME = 100

# Dot-atom local part (RFC 5322 without quoted strings or comments, which nobody types).
_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_email(raw: str, *, field: str = "email") -> str:
    """The canonical (lowercase) form of an address, or Invalid naming the field."""
    email = (raw or "").strip().lower()
    bad = Invalid("Enter a valid e-mail address.", field=field)
    if not email or len(email) > MAX_EMAIL or email.count("@") != 1:
        raise bad
    local, domain = email.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        raise bad
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise bad from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise bad
    if labels[-1].isdigit():
        raise bad
    return f"{local}@{ascii_domain}"


def check_password(password: str, *, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"The password must have at least {MIN_PASSWORD} characters.", field=field)
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"The password must have at most {MAX_PASSWORD} characters.", field=field)
    return password


def clean_display_name(raw: str | None, *, field: str = "displayName") -> str | None:
    """A trimmed display name (None clears it); control characters are refused."""
    if raw is None:
        return None
    name = raw.strip()
    if not name:
        return None
    if len(name) > MAX_DISPLAY_NAME:
        raise Invalid(
            f"The display name must have at most {MAX_DISPLAY_NAME} characters.", field=field
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise Invalid("The display name contains control characters.", field=field)
    return name
