"""authlib's authorization server, adapted to Starlette and the async ORM.

authlib is synchronous: routes run its calls in a worker thread
(`anyio.to_thread.run_sync`), and the hooks below reach the async store in
api.oauth.service with `anyio.from_thread.run` (contextvars, hence the Tortoise
context, travel both ways).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from anyio import from_thread
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from starlette.responses import JSONResponse, Response

from api.auth.principal import ACCOUNT_SCOPES, ALL_SCOPES
from api.core import clock
from api.core.errors import Invalid
from api.core.ids import encode
from api.core.tokens import OAUTH_ACCESS_PREFIX, OAUTH_REFRESH_PREFIX, new_token
from api.oauth import service
from api.oauth.clients import check_secret
from api.oauth.models import OAuthAuthorizationCode, OAuthClient, OAuthToken
from api.resources import Resources

T = TypeVar("T")
# authlib logs issued tokens at DEBUG ("Issue token {...}"): never let that through.
logging.getLogger("authlib").setLevel(logging.INFO)
ALL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
SECRET_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _run(fn: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
    """Call an async store function from authlib's (threaded) hooks."""
    return from_thread.run(partial(fn, *args, **kwargs))


# --- Request adapter -----------------------------------------------------------------


class _Payload(OAuth2Payload):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    """Built by the route after `await request.form()`, so authlib never awaits."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Any,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload(query + form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# --- Models as authlib sees them ------------------------------------------------------


@dataclass
class Client(ClientMixin):
    row: OAuthClient

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        if not scope:
            return " ".join(self.row.scopes)
        requested = scope_to_list(scope)
        if not set(requested) <= set(self.row.scopes):
            return None  # invalid_scope
        return " ".join(s for s in ALL_SCOPES if s in requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact match only

    def check_client_secret(self, client_secret: str) -> bool:
        return check_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.confidential:
            return method in SECRET_AUTH_METHODS
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials":
            return self.row.confidential
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class Token(TokenMixin):
    row: OAuthToken

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= clock.now()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None

    def get_user(self) -> Any:
        return self.row.user_id

    def get_client(self) -> Any:
        return self.row.client_id


@dataclass
class Code:
    row: OAuthAuthorizationCode

    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)


# --- Grants ---------------------------------------------------------------------------


class S256Challenge(CodeChallenge):
    """PKCE with S256 only; required of public clients (authlib does not force it)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        request = grant.request
        challenge = request.payload.data.get("code_challenge")
        method = request.payload.data.get("code_challenge_method")
        if not request.client.row.confidential and not challenge:
            raise InvalidRequestError("Public clients must send a PKCE 'code_challenge' (S256).")
        if challenge and method != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        raise NotImplementedError("codes are issued by approveOAuthAuthorization")

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = _run(service.claim_code, code, client.row, self.server.resources.redis)
        return Code(row) if row else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # already spent when claimed

    def authenticate_user(self, authorization_code: Code) -> int | None:
        user_id = authorization_code.row.user_id
        return user_id if _run(service.user_is_active, user_id) else None  # deleted since?


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        client = self.request.client
        requested = scope_to_list(self.request.payload.scope) or []
        try:
            row = _run(
                service.claim_refresh_token,
                refresh_token,
                client.row,
                self.server.resources.redis,
                requested,
            )
        except Invalid as exc:
            raise InvalidScopeError(exc.message) from None
        return Token(row) if row else None

    def authenticate_user(self, refresh_token: Token) -> Any:
        row = refresh_token.row
        active = _run(service.user_is_active, row.user_id)
        return row.user_id if active else None

    def revoke_old_credential(self, refresh_token: Token) -> None:
        pass  # spent when claimed


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """A confidential client acting on its own workspace: it is no user, so it never
    holds account scopes."""

    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        if not _run(service.registrant_may_act, self.client.row):
            raise UnauthorizedClientError(
                description=(
                    "The member who registered this client is no longer an OWNER or ADMIN "
                    "of its workspace: a current OWNER or ADMIN must rotate its secret."
                )
            )
        allowed = [s for s in self.client.row.scopes if s not in ACCOUNT_SCOPES]
        requested = scope_to_list(self.request.payload.scope) or allowed
        if not requested or not set(requested) <= set(allowed):
            raise InvalidScopeError()
        self.request.scope = " ".join(s for s in ALL_SCOPES if s in requested)

    def generate_token(self, user: Any = None, scope: Any = None, **kwargs: Any) -> Any:
        return super().generate_token(user=user, scope=self.request.scope, **kwargs)


# --- Endpoints ------------------------------------------------------------------------


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        row = _run(service.find_token, token_string, token_type_hint)
        return Token(row) if row else None

    def revoke_token(self, token: Token, request: Any) -> None:
        whole = token.row.refresh_token_hash is not None and request.form["token"].startswith(
            OAUTH_REFRESH_PREFIX
        )
        _run(service.revoke_token, self.server.resources.redis, token.row, whole_grant=whole)


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = SECRET_AUTH_METHODS  # confidential clients only

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        row = _run(service.find_token, token_string, token_type_hint)
        if row is None:
            return None
        refresh = token_string.startswith(OAUTH_REFRESH_PREFIX)
        return Token(row) if service.token_is_active(row, refresh=refresh) else None

    def check_permission(self, token: Token, client: Client, request: Any) -> bool:
        return token.check_client(client)  # a client introspects only its own tokens

    def introspect_token(self, token: Token) -> dict[str, Any]:
        row = token.row
        payload: dict[str, Any] = {
            "active": True,
            "client_id": row.client.client_id,
            "scope": token.get_scope(),
            "token_type": "Bearer",
            "exp": int(row.expires_at.timestamp()),
            "iat": int(row.issued_at.timestamp()),
            "iss": self.server.resources.settings.public_url,
        }
        if row.user_id is not None:
            payload["sub"] = encode("User", row.user_id)
        return payload

    def create_introspection_payload(self, token: Token | None) -> dict[str, Any]:
        if not token:
            return {"active": False}
        return self.introspect_token(token)


# --- The server -----------------------------------------------------------------------


class HitflowAuthorizationServer(AuthorizationServer):
    def __init__(self, resources: Resources) -> None:
        super().__init__(scopes_supported=list(ALL_SCOPES))
        self.resources = resources
        self.register_token_generator("default", self._generate_token)
        self.register_grant(AuthorizationCodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": new_token(OAUTH_ACCESS_PREFIX),
            "expires_in": self.resources.settings.oauth_access_token_ttl_seconds,
            "scope": scope or "",
        }
        if include_refresh_token and user is not None:
            token["refresh_token"] = new_token(OAUTH_REFRESH_PREFIX)
        return token

    def query_client(self, client_id: str) -> Client | None:
        row = _run(service.client_by_client_id, client_id)
        return Client(row) if row else None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        previous = request.refresh_token or request.authorization_code
        _run(
            service.save_token,
            self.resources.settings,
            client=request.client.row,
            user_id=request.user,
            grant_type=request.payload.grant_type,
            family_id=previous.row.family_id if previous else None,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            scopes=scope_to_list(token.get("scope")) or [],
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request  # routes build StarletteOAuth2Request before calling in

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        headers = dict(headers or [])
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=headers)
        return Response(body or "", status_code=status, headers=headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass
