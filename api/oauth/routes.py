"""HTTP endpoints of the authorization server: /oauth/* and the RFC 8414 metadata."""

from __future__ import annotations

import base64
import binascii
from functools import partial
from urllib.parse import urlencode

from anyio import to_thread
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, OAuth2Error
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.auth.principal import ALL_SCOPES
from api.core import ratelimit
from api.oauth import service
from api.oauth.server import (
    ALL_AUTH_METHODS,
    SECRET_AUTH_METHODS,
    HitflowAuthorizationServer,
    StarletteOAuth2Request,
)
from api.resources import Resources

MAX_STATE = 500
AUTHORIZE_PER_MINUTE = 60
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(error: OAuth2Error, status: int = 400) -> JSONResponse:
    body = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    headers = dict(NO_STORE)
    if isinstance(error, MalformedClientCredentials):
        # RFC 6749 5.2: a client that tried the Authorization header gets 401 + challenge.
        status = 401
        headers["WWW-Authenticate"] = 'Basic realm="hitflow"'
    return JSONResponse(body, status_code=status, headers=headers)


class MalformedClientCredentials(InvalidClientError):
    """An Authorization: Basic header that is not base64 of UTF-8 "id:secret" (RFC 7617)."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__(description="Malformed Basic credentials.")


def _check_basic(header: str | None) -> None:
    """authlib decodes the header without guarding it (bad bytes raised a 500)."""
    if header is None or header[:6].lower() != "basic ":
        return
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        raise MalformedClientCredentials() from None
    if ":" not in decoded:
        raise MalformedClientCredentials()


async def _oauth_request(
    server: HitflowAuthorizationServer, request: Request
) -> StarletteOAuth2Request:
    """Read everything authlib needs up front: its hooks are synchronous."""
    _check_basic(request.headers.get("authorization"))
    query: list[tuple[str, str]] = []
    form: list[tuple[str, str]] = []
    if request.method == "GET":
        query = list(request.query_params.multi_items())
    else:
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            raise InvalidRequestError(
                "Send parameters as application/x-www-form-urlencoded (RFC 6749)."
            )
        form = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    if any("\x00" in k or "\x00" in v for k, v in (*query, *form)):
        # Never a valid parameter, and PostgreSQL cannot compare text holding NUL.
        raise InvalidRequestError("Parameters must not contain NUL characters.")
    settings = server.resources.settings
    uri = settings.public_url + request.url.path
    if not settings.production:
        # authlib refuses plain-http URIs; development serves http on any host.
        uri = "https://" + uri.split("://", 1)[1]
    return StarletteOAuth2Request(request.method, uri, request.headers, query, form)


async def authorize(server: HitflowAuthorizationServer, request: Request) -> Response:
    # Each call stores a pending consent: bound how fast one address can create them.
    ip = request.client.host if request.client else "unknown"
    wait = await ratelimit.hit(
        server.resources.redis,
        f"oauth:authorize:{ip}",
        limit=AUTHORIZE_PER_MINUTE,
        window_seconds=60,
    )
    if wait is not None:
        body = {"error": "temporarily_unavailable", "error_description": "Too many requests."}
        return JSONResponse(body, status_code=429, headers={"Retry-After": str(wait)})
    try:
        oreq = await _oauth_request(server, request)
        grant = await to_thread.run_sync(server.get_consent_grant, oreq)
    except OAuth2Error as error:
        if error.redirect_uri:
            # The client and its redirect URI were validated: tell the client.
            return server.handle_error_response(None, error)
        # Unknown client or unregistered redirect URI: never redirect there.
        return _error(error)
    state = oreq.payload.state
    if state is not None and len(state) > MAX_STATE:
        too_long = InvalidRequestError(f"'state' is longer than {MAX_STATE} characters.")
        too_long.redirect_uri = grant.redirect_uri
        return server.handle_error_response(None, too_long)
    data = oreq.payload.data
    pending = await service.create_authorization_request(
        oreq.client.row,
        redirect_uri=grant.redirect_uri,
        scopes=(oreq.scope or "").split(),
        state=state,
        code_challenge=data.get("code_challenge"),
        code_challenge_method=data.get("code_challenge_method"),
    )
    consent = f"{server.resources.settings.effective_app_url}/oauth/consent?" + urlencode(
        {"request": pending.id}
    )
    return RedirectResponse(consent, status_code=302, headers=NO_STORE)


async def token(server: HitflowAuthorizationServer, request: Request) -> Response:
    try:
        oreq = await _oauth_request(server, request)
    except OAuth2Error as error:
        return _error(error)
    return await to_thread.run_sync(server.create_token_response, oreq)


async def _endpoint(server: HitflowAuthorizationServer, name: str, request: Request) -> Response:
    """RFC 7009 revocation and RFC 7662 introspection: authlib's endpoint `name`."""
    try:
        oreq = await _oauth_request(server, request)
    except OAuth2Error as error:
        return _error(error)
    return await to_thread.run_sync(server.create_endpoint_response, name, oreq)


async def revoke(server: HitflowAuthorizationServer, request: Request) -> Response:
    return await _endpoint(server, "revocation", request)


async def introspect(server: HitflowAuthorizationServer, request: Request) -> Response:
    return await _endpoint(server, "introspection", request)


async def metadata(server: HitflowAuthorizationServer, request: Request) -> JSONResponse:
    base = server.resources.settings.public_url
    return JSONResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "introspection_endpoint": f"{base}/oauth/introspect",
            "scopes_supported": list(ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "client_credentials",
            ],
            "token_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
            "introspection_endpoint_auth_methods_supported": SECRET_AUTH_METHODS,
            "code_challenge_methods_supported": ["S256"],
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )


def routes(resources: Resources) -> list[BaseRoute]:
    """The endpoints, each bound to this app's authorization server."""
    server = HitflowAuthorizationServer(resources)
    return [
        Route("/oauth/authorize", partial(authorize, server), methods=["GET"]),
        Route("/oauth/token", partial(token, server), methods=["POST"]),
        Route("/oauth/revoke", partial(revoke, server), methods=["POST"]),
        Route("/oauth/introspect", partial(introspect, server), methods=["POST"]),
        Route(
            "/.well-known/oauth-authorization-server",
            partial(metadata, server),
            methods=["GET"],
        ),
    ]
