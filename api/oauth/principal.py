"""The principal of an OAuth access token (api.auth.resolve lists it under its prefix)."""

from __future__ import annotations

from datetime import timedelta

from api.auth.principal import ACCOUNT_SCOPES, Principal, access_of
from api.core import clock
from api.core.tokens import hash_token
from api.oauth.models import OAuthToken
from api.oauth.service import registrant_may_act, workspace_has_active_owner
from api.settings import Settings
from api.workspaces.models import Role

WRITE_SCOPES = frozenset({"targets:write", "alerts:write"})


async def principal_for_access_token(token: str, settings: Settings) -> Principal | None:
    now = clock.now()
    row = (
        await OAuthToken.filter(
            access_token_hash=hash_token(token), revoked_at=None, expires_at__gt=now
        )
        .select_related("client", "user")
        .first()
    )
    if row is None:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        await OAuthToken.filter(id=row.id).update(last_used_at=now)
    # Never more than the client may ask for, even if its scopes were narrowed since.
    scopes = frozenset(row.scopes) & frozenset(row.client.scopes)
    if row.user_id is None:
        # client_credentials: the client acts for its own workspace only.
        # It is no user: never account scopes (account code assumes a user_id).
        scopes = scopes - ACCOUNT_SCOPES
        if not await workspace_has_active_owner(row.client.workspace_id):
            return None  # its owner deleted the account: the workspace is locked
        if not await registrant_may_act(row.client):
            return None  # its registrant left or lost ADMIN (see registrant_may_act)
        role = Role.MEMBER if scopes & WRITE_SCOPES else Role.VIEWER
        return Principal(
            kind="client",
            user_id=None,
            scopes=scopes,
            memberships={row.client.workspace_id: role},
            credential_id=row.id,
        )
    user = row.user
    if user is None or not user.is_active:
        return None
    access = await access_of(user.id, is_staff=user.is_staff)
    return Principal(
        kind="oauth",
        user_id=user.id,
        scopes=scopes,
        memberships=access.memberships,
        credential_id=row.id,
        two_factor=access.two_factor,
        two_factor_blocked=access.two_factor_blocked,
    )
