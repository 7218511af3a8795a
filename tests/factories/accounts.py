"""Accounts, memberships, tokens and the principal of an account's owner."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from api.accounts.models import PersonalAccessToken, User
from api.accounts.passwords import hash_password
from api.accounts.sessions import create_session
from api.auth.principal import ALL_SCOPES, Principal
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
) -> Account:
    """A user with a personal workspace (owner) and a session token."""
    email = email or f"user{next(_seq)}@example.test"
    user = await User.create(
        email=email,
        password_hash=await hash_password(settings, password),
        email_verified=verified,
        is_staff=staff,
    )
    workspace = await create_personal_workspace(user)
    token = await create_session(settings, user)
    return Account(user=user, workspace=workspace, token=token)


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
