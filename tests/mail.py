"""Reading mailed links in tests."""

from __future__ import annotations

import re
from urllib.parse import unquote


def link_token(body: str, path: str) -> str:
    """The token of the first `{app_url}{path}?token=...` link in a mail body."""
    match = re.search(re.escape(path) + r"\?token=([^\s&]+)", body)
    assert match, f"no {path} link in: {body!r}"
    return unquote(match.group(1))
