"""OAuth 2 clients registered by workspaces, pending consents, codes and tokens.

Every secret (client secret, code, access and refresh token) is kept only as its
SHA-256 hash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from api.accounts.models import User
    from api.workspaces.models import Workspace


class OAuthClient(Model):
    """A third-party application registered by a workspace."""

    id = fields.IntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="oauth_clients", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=100)
    client_id = fields.CharField(max_length=64, unique=True)
    client_secret_hash = fields.CharField(max_length=64, null=True)  # confidential clients
    redirect_uris: fields.JSONField[list[str]] = fields.JSONField(default=list)
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    confidential = fields.BooleanField(default=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="oauth_clients", on_delete=fields.SET_NULL, null=True
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "oauth_clients"


class OAuthAuthorizationRequest(Model):
    """A validated authorize request waiting for the user to consent in the SPA."""

    id = fields.CharField(max_length=64, primary_key=True)  # random, in the consent URL
    client: fields.ForeignKeyRelation[OAuthClient] = fields.ForeignKeyField(
        "models.OAuthClient", related_name="authorization_requests", on_delete=fields.CASCADE
    )
    client_id: int
    redirect_uri = fields.CharField(max_length=2000)
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    state = fields.CharField(max_length=500, null=True)
    code_challenge = fields.CharField(max_length=128, null=True)
    code_challenge_method = fields.CharField(max_length=10, null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "oauth_authorization_requests"


class OAuthAuthorizationCode(Model):
    """A single-use authorization code, bound to client, user, redirect URI and PKCE."""

    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    client: fields.ForeignKeyRelation[OAuthClient] = fields.ForeignKeyField(
        "models.OAuthClient", related_name="authorization_codes", on_delete=fields.CASCADE
    )
    client_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="oauth_codes", on_delete=fields.CASCADE
    )
    user_id: int
    redirect_uri = fields.CharField(max_length=2000)
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    code_challenge = fields.CharField(max_length=128, null=True)
    code_challenge_method = fields.CharField(max_length=10, null=True)
    family_id = fields.CharField(max_length=32)  # the grant its tokens belong to
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "oauth_authorization_codes"


class OAuthToken(Model):
    """An access token and its refresh token. Rows of one grant share a family id,
    so the reuse of a rotated refresh token revokes the whole grant."""

    id = fields.IntField(primary_key=True)
    client: fields.ForeignKeyRelation[OAuthClient] = fields.ForeignKeyField(
        "models.OAuthClient", related_name="tokens", on_delete=fields.CASCADE
    )
    client_id: int
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="oauth_tokens", on_delete=fields.CASCADE, null=True
    )  # null for client_credentials tokens
    user_id: int | None
    family_id = fields.CharField(max_length=32, db_index=True)
    grant_type = fields.CharField(max_length=32)
    access_token_hash = fields.CharField(max_length=64, unique=True)
    refresh_token_hash = fields.CharField(max_length=64, unique=True, null=True)
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    refresh_expires_at = fields.DatetimeField(null=True)
    refresh_used_at = fields.DatetimeField(null=True)  # rotated: the refresh token is spent
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "oauth_tokens"
