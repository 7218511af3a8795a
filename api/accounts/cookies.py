"""The session cookie: HttpOnly, SameSite=Lax, Secure when the API is served over https."""

from __future__ import annotations

from starlette.responses import Response

from api.auth.resolve import SESSION_COOKIE
from api.settings import Settings


def _secure(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def set_session_cookie(response: Response | None, settings: Settings, token: str) -> None:
    if response is None:  # websockets have no response to carry a cookie
        return
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_days * 86400,
        path="/",
        secure=_secure(settings),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response | None, settings: Settings) -> None:
    if response is None:
        return
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=_secure(settings), httponly=True, samesite="lax"
    )
