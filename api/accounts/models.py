"""Users, sessions, personal access tokens and single-use e-mail tokens."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    display_name = fields.CharField(max_length=100, null=True)
    email_verified = fields.BooleanField(default=False)
    is_staff = fields.BooleanField(default=False)
    is_active = fields.BooleanField(default=True)  # False once deletion is confirmed
    deletion_scheduled_for = fields.DatetimeField(null=True)
    legal_hold = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class Session(Model):
    """A logged-in browser or app. The token is kept only as its SHA-256 hash."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    user_agent = fields.CharField(max_length=255, null=True)
    ip = fields.CharField(max_length=45, null=True)  # where the session was opened

    class Meta:
        table = "sessions"


class PersonalAccessToken(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="personal_access_tokens", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=64, unique=True)
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)  # null: until revoked
    expiry_notice_sent_at = fields.DatetimeField(null=True)  # the "expires in a week" mail
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "personal_access_tokens"


class EmailToken(Model):
    """Single-use token mailed to a user: verify, reset, delete, invite, confirm-channel."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="email_tokens", on_delete=fields.CASCADE, null=True
    )
    user_id: int | None
    purpose = fields.CharField(max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "email_tokens"


class TotpDevice(Model):
    """A TOTP authenticator (one per user). The secret is encrypted with the key ring."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="totp_devices", on_delete=fields.CASCADE
    )
    user_id: int
    secret_encrypted = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    confirmed_at = fields.DatetimeField(null=True)  # null: enrolment not finished
    # The last accepted 30-second step: a code of this step or an earlier one is refused.
    last_used_step = fields.BigIntField(default=0)

    class Meta:
        table = "totp_devices"
        unique_together = (("user",),)


class RecoveryCode(Model):
    """A single-use recovery code, kept only as its SHA-256 hash."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    user_id: int
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "recovery_codes"
        unique_together = (("user", "code_hash"),)


class WebAuthnCredential(Model):
    """A passkey or security key: its public key and last signature counter."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webauthn_credentials", on_delete=fields.CASCADE
    )
    user_id: int
    credential_id = fields.CharField(max_length=1400, unique=True)  # base64url
    public_key = fields.TextField()  # COSE key, base64url
    sign_count = fields.BigIntField(default=0)
    name = fields.CharField(max_length=60)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webauthn_credentials"
