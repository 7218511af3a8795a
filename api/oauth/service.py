"""OAuth grants and tokens: consent, codes, token rows, revocation, authorized apps.

The authlib server (api.oauth.server) drives the RFC flows and calls the `store`
functions here; GraphQL resolvers call the consent and app functions.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from arq.connections import ArqRedis
from authlib.common.urls import add_params_to_uri
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from api import events
from api.accounts.models import User
from api.auth.principal import Principal
from api.core import clock
from api.core.errors import Expired, Invalid, NotFound
from api.core.tokens import OAUTH_ACCESS_PREFIX, OAUTH_REFRESH_PREFIX, hash_token
from api.oauth.clients import get_client
from api.oauth.models import (
    OAuthAuthorizationCode,
    OAuthAuthorizationRequest,
    OAuthClient,
    OAuthToken,
)
from api.settings import Settings
from api.workspaces.models import ADMIN_ROLES, Membership, Role

REQUEST_TTL = timedelta(minutes=10)
CODE_TTL = timedelta(minutes=10)


# --- Consent (GET /oauth/authorize, then the SPA) --------------------------------------


async def create_authorization_request(
    client: OAuthClient,
    *,
    redirect_uri: str,
    scopes: list[str],
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> OAuthAuthorizationRequest:
    now = clock.now()
    return await OAuthAuthorizationRequest.create(
        id=secrets.token_urlsafe(24),
        client=client,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        created_at=now,
        expires_at=now + REQUEST_TTL,
    )


async def pending_request(principal: Principal, request_id: str) -> OAuthAuthorizationRequest:
    """A consent request still waiting for a decision (NotFound otherwise)."""
    if principal.kind != "session" or principal.user_id is None:
        raise NotFound("No such authorization request.", field="id")
    req = (
        await OAuthAuthorizationRequest.filter(id=request_id[:64], decided_at=None)
        .select_related("client")
        .first()
    )
    if req is None:
        raise NotFound("No such authorization request.", field="id")
    if req.expires_at <= clock.now():
        raise Expired(
            "This authorization request has expired; start again from the app.", field="id"
        )
    return req


async def _decide(request_id: str) -> bool:
    # Conditional update: two clicks (or two tabs) cannot both issue a code.
    return bool(
        await OAuthAuthorizationRequest.filter(id=request_id, decided_at=None).update(
            decided_at=clock.now()
        )
    )


async def approve_authorization(principal: Principal, request_id: str) -> str:
    """Issue a single-use code for the user; returns the client's redirect URL."""
    req = await pending_request(principal, request_id)
    if not await _decide(req.id):
        raise NotFound("No such authorization request.", field="id")
    code = secrets.token_urlsafe(32)
    now = clock.now()
    await OAuthAuthorizationCode.create(
        code_hash=hash_token(code),
        client_id=req.client_id,
        user_id=principal.user_id,
        redirect_uri=req.redirect_uri,
        scopes=req.scopes,
        code_challenge=req.code_challenge,
        code_challenge_method=req.code_challenge_method,
        family_id=uuid.uuid4().hex,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    params = [("code", code)] + ([("state", req.state)] if req.state else [])
    return add_params_to_uri(req.redirect_uri, params)


async def deny_authorization(principal: Principal, request_id: str) -> str:
    req = await pending_request(principal, request_id)
    await _decide(req.id)
    params = [("error", "access_denied")] + ([("state", req.state)] if req.state else [])
    return add_params_to_uri(req.redirect_uri, params)


# --- Store used by the authlib server --------------------------------------------------


async def client_by_client_id(client_id: str) -> OAuthClient | None:
    if not client_id or len(client_id) > 64:
        return None
    row = await OAuthClient.get_or_none(client_id=client_id)
    if row is None or not await workspace_has_active_owner(row.workspace_id):
        return None  # the workspace goes with its deleted owner: invalid_client
    return row


async def workspace_has_active_owner(workspace_id: int) -> bool:
    """False once every OWNER of the workspace is locked (account deletion pending)."""
    return await Membership.filter(
        workspace_id=workspace_id, role=Role.OWNER, user__is_active=True
    ).exists()


async def registrant_may_act(client: OAuthClient) -> bool:
    """Whether a client may act for its workspace on its own (client_credentials).

    A client belongs to its workspace, but its own grant acts only while the member who
    registered it (or last rotated its secret) is an active OWNER or ADMIN there: that
    member knew the secret. Once they are removed, demoted below ADMIN or lock their
    account, its client_credentials tokens stop working and it gets no new ones until a
    current OWNER or ADMIN rotates its secret (who then becomes its registrant).
    """
    if client.created_by_id is None:
        return False
    return await Membership.filter(
        workspace_id=client.workspace_id,
        user_id=client.created_by_id,
        role__in=list(ADMIN_ROLES),
        user__is_active=True,
    ).exists()


async def user_is_active(user_id: int | None) -> bool:
    if user_id is None:
        return False
    return await User.filter(id=user_id, is_active=True).exists()


async def claim_code(
    code: str, client: OAuthClient, redis: ArqRedis
) -> OAuthAuthorizationCode | None:
    """The code, marked used; None if unknown, expired or already used. A reused code
    revokes what it issued (RFC 6749 4.1.2)."""
    row = await OAuthAuthorizationCode.get_or_none(code_hash=hash_token(code), client_id=client.id)
    if row is None:
        return None
    now = clock.now()
    claimed = await OAuthAuthorizationCode.filter(id=row.id, used_at=None).update(used_at=now)
    if not claimed:
        await revoke_family(redis, row.family_id)
        return None
    if row.expires_at <= now:
        return None
    return row


async def save_token(
    settings: Settings,
    *,
    client: OAuthClient,
    user_id: int | None,
    grant_type: str,
    family_id: str | None,
    access_token: str,
    refresh_token: str | None,
    scopes: list[str],
) -> OAuthToken:
    now = clock.now()
    return await OAuthToken.create(
        client=client,
        user_id=user_id,
        family_id=family_id or uuid.uuid4().hex,
        grant_type=grant_type,
        access_token_hash=hash_token(access_token),
        refresh_token_hash=hash_token(refresh_token) if refresh_token else None,
        scopes=scopes,
        issued_at=now,
        expires_at=now + timedelta(seconds=settings.oauth_access_token_ttl_seconds),
        refresh_expires_at=(now + timedelta(days=settings.oauth_refresh_token_ttl_days))
        if refresh_token
        else None,
    )


async def claim_refresh_token(
    refresh_token: str,
    client: OAuthClient,
    redis: ArqRedis,
    requested_scopes: list[str] | None = None,
) -> OAuthToken | None:
    """The token row of a live refresh token, now spent (rotation). Presenting a spent
    refresh token again means it leaked: the whole grant is revoked."""
    if not refresh_token.startswith(OAUTH_REFRESH_PREFIX):
        return None
    row = await OAuthToken.get_or_none(refresh_token_hash=hash_token(refresh_token))
    if row is None or row.client_id != client.id:
        return None
    now = clock.now()
    if row.revoked_at is not None or row.refresh_used_at is not None:
        await revoke_family(redis, row.family_id)
        return None
    if row.refresh_expires_at is None or row.refresh_expires_at <= now:
        return None
    if requested_scopes and not set(requested_scopes) <= set(row.scopes):
        # Checked before spending the token, so a bad request does not lose the grant.
        raise Invalid("A refresh cannot widen the granted scopes.", field="scope")
    claimed = await OAuthToken.filter(id=row.id, refresh_used_at=None, revoked_at=None).update(
        refresh_used_at=now
    )
    if not claimed:
        await revoke_family(redis, row.family_id)
        return None
    return row


async def find_token(token: str, hint: str | None = None) -> OAuthToken | None:
    digest = hash_token(token)
    if token.startswith(OAUTH_ACCESS_PREFIX) and hint != "refresh_token":
        return await OAuthToken.filter(access_token_hash=digest).select_related("client").first()
    if token.startswith(OAUTH_REFRESH_PREFIX) and hint != "access_token":
        return await OAuthToken.filter(refresh_token_hash=digest).select_related("client").first()
    return None


def token_is_active(row: OAuthToken, *, refresh: bool = False) -> bool:
    now = clock.now()
    if row.revoked_at is not None:
        return False
    if refresh:
        return row.refresh_used_at is None and bool(
            row.refresh_expires_at and row.refresh_expires_at > now
        )
    return row.expires_at > now


# --- Revocation -----------------------------------------------------------------------


async def _revoke(redis: ArqRedis, query: Q) -> list[int]:
    rows = await OAuthToken.filter(query, revoked_at=None).values_list("id", "user_id")
    if not rows:
        return []
    ids = [r[0] for r in rows]
    await OAuthToken.filter(id__in=ids).update(revoked_at=clock.now())
    by_user: dict[int | None, list[int]] = {}
    for token_id, user_id in rows:
        by_user.setdefault(user_id, []).append(token_id)
    # Live subscriptions opened with these tokens end (api.live listens for this event).
    for user_id, token_ids in by_user.items():
        kind = "oauth" if user_id is not None else "client"  # = Principal.kind of the token
        await events.publish(
            redis, "revocation", userId=user_id, kind=kind, credentialIds=token_ids
        )
    return ids


async def revoke_family(redis: ArqRedis, family_id: str) -> list[int]:
    return await _revoke(redis, Q(family_id=family_id))


async def revoke_token(redis: ArqRedis, row: OAuthToken, *, whole_grant: bool) -> list[int]:
    """RFC 7009: revoking a refresh token ends its grant; an access token, its own row."""
    if whole_grant:
        return await revoke_family(redis, row.family_id)
    return await _revoke(redis, Q(id=row.id))


async def revoke_all_for_user(redis: ArqRedis, user_id: int) -> list[int]:
    """Revoke every OAuth token a user granted (account deletion, lock-out), and the
    client_credentials tokens of the clients they registered."""
    await OAuthAuthorizationCode.filter(user_id=user_id, used_at=None).update(used_at=clock.now())
    granted = await _revoke(redis, Q(user_id=user_id))
    return granted + await revoke_registered_clients(redis, user_id)


async def revoke_registered_clients(
    redis: ArqRedis, user_id: int, workspace_id: int | None = None
) -> list[int]:
    """Revoke the client_credentials tokens of the clients `user_id` registered (in one
    workspace, or all): they left it, were demoted below ADMIN or locked their account.
    Tokens users granted to these clients act with those users' rights and stay."""
    query = Q(user_id=None, client__created_by_id=user_id)
    if workspace_id is not None:
        query &= Q(client__workspace_id=workspace_id)
    return await _revoke(redis, query)


async def revoke_workspace_clients(redis: ArqRedis | None, workspace_ids: list[int]) -> int:
    """Revoke every token of the clients of these workspaces (their owner is deleted)."""
    if not workspace_ids:
        return 0
    query = Q(client__workspace_id__in=workspace_ids)
    if redis is not None:
        return len(await _revoke(redis, query))
    ids = await OAuthToken.filter(query, revoked_at=None).values_list("id", flat=True)
    return await OAuthToken.filter(id__in=list(ids)).update(revoked_at=clock.now())


async def delete_client(redis: ArqRedis, principal: Principal, pk: int) -> None:
    client = await get_client(principal, pk)
    await _revoke(redis, Q(client_id=client.id))
    await client.delete()


# --- Authorized apps (what a user granted) ----------------------------------------------


@dataclass
class AuthorizedApp:
    client_pk: int
    name: str
    scopes: list[str]
    authorized_at: datetime
    last_used_at: datetime | None


def _live_user_tokens(user_id: int) -> QuerySet[OAuthToken]:
    now = clock.now()
    return OAuthToken.filter(user_id=user_id, revoked_at=None).filter(
        Q(expires_at__gt=now) | Q(refresh_used_at=None, refresh_expires_at__gt=now)
    )


async def authorized_apps(principal: Principal) -> list[AuthorizedApp]:
    if principal.user_id is None:
        return []
    apps: dict[int, AuthorizedApp] = {}
    rows = await _live_user_tokens(principal.user_id).select_related("client").order_by("issued_at")
    for row in rows:
        app = apps.get(row.client_id)
        if app is None:
            app = apps[row.client_id] = AuthorizedApp(
                row.client_id, row.client.name, [], row.issued_at, None
            )
        app.scopes = sorted(set(app.scopes) | set(row.scopes))
        if row.last_used_at and (app.last_used_at is None or row.last_used_at > app.last_used_at):
            app.last_used_at = row.last_used_at
    return list(apps.values())


async def revoke_authorized_app(redis: ArqRedis, principal: Principal, client_pk: int) -> None:
    if principal.user_id is None:
        raise NotFound("No such authorized app.", field="id")
    if not await _live_user_tokens(principal.user_id).filter(client_id=client_pk).exists():
        raise NotFound("No such authorized app.", field="id")
    await _revoke(redis, Q(user_id=principal.user_id, client_id=client_pk))


# --- Housekeeping ---------------------------------------------------------------------

KEEP_AFTER_EXPIRY = timedelta(days=1)


async def purge_expired() -> int:
    """Delete consents, codes and tokens that can no longer be used; returns rows deleted."""
    cutoff = clock.now() - KEEP_AFTER_EXPIRY
    deleted = await OAuthAuthorizationRequest.filter(expires_at__lt=cutoff).delete()
    deleted += await OAuthAuthorizationCode.filter(expires_at__lt=cutoff).delete()
    deleted += await OAuthToken.filter(
        Q(refresh_expires_at=None) | Q(refresh_expires_at__lt=cutoff), expires_at__lt=cutoff
    ).delete()
    return deleted
