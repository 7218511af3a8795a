"""Accounts, memberships, tokens and the principal of an account's owner."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pyotp

from api.accounts.models import PersonalAccessToken, TotpDevice, User
from api.accounts.passwords import hash_password
from api.accounts.sessions import create_session
from api.auth.principal import ALL_SCOPES, Principal
from api.core import clock
from api.core.crypto import KeyRing
from api.core.ids import encode
from api.core.tokens import PAT_PREFIX, hash_token, new_token
from api.settings import Settings
from api.workspaces.models import Membership, Role, Workspace
from api.workspaces.service import create_personal_workspace

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    user: User
    workspace: Workspace
    token: str  # a session token: carries every scope

    @property
    def workspace_gid(self) -> str:
        return encode("Workspace", self.workspace.id)


async def create_account(
    settings: Settings,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    verified: bool = True,
    staff: bool = False,
    totp_secret: str | None = None,
) -> Account:
    """A user with a personal workspace (owner) and a session token.

    Staff accounts get an authenticator app (staff views need a second factor);
    `totp_secret` gives any account one with that secret.
    """
    email = email or f"user{next(_seq)}@example.test"
    user = await User.create(
        email=email,
        password_hash=await hash_password(settings, password),
        email_verified=verified,
        is_staff=staff,
    )
    workspace = await create_personal_workspace(user)
    if staff or totp_secret:
        await enable_totp(settings, user, totp_secret or pyotp.random_base32())
    token = await create_session(settings, user)
    return Account(user=user, workspace=workspace, token=token)


async def enable_totp(settings: Settings, user: User, secret: str) -> None:
    """An active authenticator app with this base32 secret (as after a confirmed enrolment)."""
    sealed = KeyRing(settings.key_ring_keys).encrypt_bytes(secret.encode(), aad=b"totp-secret")
    await TotpDevice.create(user=user, secret_encrypted=sealed.hex(), confirmed_at=clock.now())


async def add_member(workspace: Workspace, user: User, role: Role) -> Membership:
    return await Membership.create(workspace=workspace, user=user, role=role)


async def create_pat(user: User, scopes: list[str], name: str = "test") -> str:
    """A personal access token with these scopes; returns the token itself."""
    token = new_token(PAT_PREFIX)
    await PersonalAccessToken.create(
        user=user, name=name, token_hash=hash_token(token), scopes=scopes
    )
    return token


def owner_principal(account: Account) -> Principal:
    """The principal of the account's session, owner of its workspace (for service calls)."""
    return Principal(
        kind="session",
        user_id=account.user.id,
        scopes=frozenset(ALL_SCOPES),
        memberships={account.workspace.id: Role.OWNER},
    )
