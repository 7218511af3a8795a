"""OAuth client registration: the rules a workspace's developers manage clients by.

Only OWNER/ADMIN members of a workspace see its clients; anybody else gets NotFound,
so client ids never leak across workspaces.
"""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

from arq.connections import ArqRedis
from tortoise.queryset import QuerySet

from api import events
from api.auth.principal import ALL_SCOPES, Principal
from api.core import clock
from api.core.errors import Invalid, NotFound
from api.core.tokens import hash_token, same
from api.oauth.models import OAuthClient
from api.workspaces.models import ADMIN_ROLES

CLIENT_ID_PREFIX = "hfc_"
CLIENT_SECRET_PREFIX = "hf_cs_"
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2000


def manageable_by(principal: Principal) -> QuerySet[OAuthClient]:
    """The clients the principal may see and manage: those of workspaces it administers."""
    ids = [ws for ws, role in principal.memberships.items() if role in ADMIN_ROLES]
    return OAuthClient.filter(workspace_id__in=ids)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_redirect_uri(uri: str) -> str:
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI_LENGTH:
        raise Invalid(
            f"A redirect URI must have 1 to {MAX_URI_LENGTH} characters.", field="redirectUris"
        )
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        raise Invalid(f"Not a valid URL: {uri!r}.", field="redirectUris") from None
    if not host:
        raise Invalid(f"Not an absolute URL: {uri!r}.", field="redirectUris")
    if parts.fragment or "#" in uri:
        raise Invalid(f"A redirect URI must not have a fragment: {uri!r}.", field="redirectUris")
    if parts.scheme == "https":
        return uri
    if parts.scheme == "http" and _is_loopback(host):
        return uri
    raise Invalid(
        f"Redirect URIs must use https (http only for localhost): {uri!r}.", field="redirectUris"
    )


def validate_redirect_uris(uris: list[str]) -> list[str]:
    if not uris:
        raise Invalid("At least one redirect URI is required.", field="redirectUris")
    if len(uris) > MAX_REDIRECT_URIS:
        raise Invalid(f"At most {MAX_REDIRECT_URIS} redirect URIs.", field="redirectUris")
    cleaned = [validate_redirect_uri(u) for u in uris]
    return list(dict.fromkeys(cleaned))


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise Invalid(f"Unknown scope(s) {unknown}; known: {list(ALL_SCOPES)}.", field="scopes")
    if not scopes:
        raise Invalid("At least one scope is required.", field="scopes")
    return [s for s in ALL_SCOPES if s in scopes]


def validate_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("The name must have 1 to 100 characters.", field="name")
    return name


def _require_session(principal: Principal) -> None:
    if principal.kind != "session" or principal.user_id is None:
        raise NotFound("No such workspace.", field="workspaceId")


def new_secret() -> tuple[str, str]:
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, hash_token(secret)


def check_secret(client: OAuthClient, secret: str) -> bool:
    if not client.confidential or not client.client_secret_hash:
        return False
    return same(hash_token(secret), client.client_secret_hash)


async def create_client(
    principal: Principal,
    *,
    workspace_id: int,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    confidential: bool,
) -> tuple[OAuthClient, str | None]:
    """Register a client; returns it and its secret (confidential clients; shown once)."""
    _require_session(principal)
    if not principal.can_admin(workspace_id):
        raise NotFound("No such workspace.", field="workspaceId")
    name = validate_name(name)
    uris = validate_redirect_uris(redirect_uris)
    scopes = validate_scopes(scopes)
    secret, secret_hash = new_secret() if confidential else (None, None)
    now = clock.now()
    client = await OAuthClient.create(
        workspace_id=workspace_id,
        name=name,
        client_id=CLIENT_ID_PREFIX + secrets.token_urlsafe(18),
        client_secret_hash=secret_hash,
        redirect_uris=uris,
        scopes=scopes,
        confidential=confidential,
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    return client, secret


async def list_clients(principal: Principal, workspace_id: int) -> list[OAuthClient]:
    if principal.kind != "session":
        return []
    return await manageable_by(principal).filter(workspace_id=workspace_id).order_by("id")


async def get_client(principal: Principal, pk: int) -> OAuthClient:
    _require_session(principal)
    client = await manageable_by(principal).filter(id=pk).first()
    if client is None:
        raise NotFound("No OAuth client with this id.", field="id")
    return client


async def update_client(
    redis: ArqRedis,
    principal: Principal,
    pk: int,
    *,
    name: str | None = None,
    redirect_uris: list[str] | None = None,
    scopes: list[str] | None = None,
) -> OAuthClient:
    client = await get_client(principal, pk)
    narrowed = scopes is not None and not set(client.scopes) <= set(scopes)
    if name is not None:
        client.name = validate_name(name)
    if redirect_uris is not None:
        client.redirect_uris = validate_redirect_uris(redirect_uris)
    if scopes is not None:
        client.scopes = validate_scopes(scopes)
    client.updated_at = clock.now()
    await client.save()
    if narrowed:
        # Its tokens never hold more than the client's scopes: live sockets of the
        # workspace re-resolve their principal (api.live.relay.rights_changed).
        await events.publish(redis, "rights_changed", workspaceId=client.workspace_id)
    return client


async def rotate_secret(principal: Principal, pk: int) -> tuple[OAuthClient, str]:
    """A new secret for a confidential client; the old one stops working at once."""
    client = await get_client(principal, pk)
    if not client.confidential:
        raise Invalid("A public client has no secret.", field="id")
    secret, client.client_secret_hash = new_secret()
    # Whoever knows the secret now answers for the client (api.oauth.service.registrant_may_act).
    client.created_by_id = principal.user_id
    client.updated_at = clock.now()
    await client.save()
    return client, secret
