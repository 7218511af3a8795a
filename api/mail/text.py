"""User-chosen text (workspace names, display names) inside the mails we send.

Such text never goes into a subject or any other header: a subject is what a phishing
mail is judged by, and ours must only ever carry our own words. In a (plain text) body
it is shown as a quoted, inert value:
- format and control characters (newlines, bidi overrides, zero-width marks) removed,
  so it cannot start a new line that reads like our text or reorder what follows;
- at most `limit` characters;
- anything shaped like a link or a host name defanged ("evil.example" -> "evil[.]example",
  "https://" -> "https[:]//"), so mail clients do not turn it into a clickable link;
- wrapped in double quotes (inner double quotes become single ones).
"""

from __future__ import annotations

import re
import unicodedata

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):/+")
_HOSTISH = re.compile(r"(?<=[^\s.])\.(?=[^\s.])")
_SPACES = re.compile(r"\s+")


def user_text(value: str, *, limit: int = 80) -> str:
    """`value` as an inert, quoted piece of a plain-text mail body."""
    # Line breaks and other controls become spaces; invisible format marks go.
    kept = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in value
        if not unicodedata.category(ch).startswith(("Cf", "Co", "Cs", "Cn"))
    )
    kept = _SPACES.sub(" ", kept).strip()
    if len(kept) > limit:
        kept = kept[: limit - 1].rstrip() + "…"
    kept = _SCHEME.sub(lambda m: f"{m.group(1)}[:]//", kept)
    kept = _HOSTISH.sub("[.]", kept)
    kept = kept.replace("@", "[at]").replace('"', "'")
    return f'"{kept}"'
