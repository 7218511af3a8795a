"""Random tokens: shown once, stored as SHA-256 hashes, prefixed by kind."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SESSION_PREFIX = "hf_sess_"
PAT_PREFIX = "hf_pat_"
OAUTH_ACCESS_PREFIX = "hf_at_"
OAUTH_REFRESH_PREFIX = "hf_rt_"
HEARTBEAT_PREFIX = "hf_hb_"
EMAIL_PREFIX = "hf_mail_"
BADGE_PREFIX = "hf_bdg_"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
