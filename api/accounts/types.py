"""GraphQL types of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.accounts import models
from api.accounts.factors import SecondFactor, factors_of
from api.accounts.mfa import SignIn, device_family
from api.accounts.sessions import active_sessions
from api.graphql.context import Info
from api.graphql.nodes import resolve_scoped
from api.graphql.payloads import MutationPayload
from api.privacy.types import AuditEventConnection, access_log_resolver

strawberry.enum(SecondFactor, description="A second factor accepted by completeLogIn.")


@strawberry.type(description="A person with a Hitflow account.")
class User(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    email: str = strawberry.field(description="Login and contact address.")
    email_verified: bool = strawberry.field(description="Whether the address was confirmed.")
    display_name: str | None = strawberry.field(description="Name shown to teammates.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    deletion_scheduled_for: datetime | None = strawberry.field(
        description="Set once deletion is confirmed: when the data will be purged."
    )
    access_log: AuditEventConnection = strawberry.field(
        resolver=access_log_resolver,
        description="Staff reads of my data, with the reason they gave (newest first).",
    )

    @strawberry.field(description="The second factors set up on the account (empty: none).")
    async def second_factors(self) -> list[SecondFactor]:
        return await factors_of(self.pk)

    @classmethod
    def from_model(cls, user: models.User) -> User:
        return cls(
            pk=user.id,
            email=user.email,
            email_verified=user.email_verified,
            display_name=user.display_name,
            created_at=user.created_at,
            deletion_scheduled_for=user.deletion_scheduled_for,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        # A user is visible only to itself, and only with account:read.
        principal = info.context.principal
        me = principal.user_id if principal.has_scope("account:read") else None
        user = await models.User.get_or_none(id=me) if me is not None else None
        return [cls.from_model(user) if user and str(user.id) == str(i) else None for i in node_ids]


@strawberry.type(description="A personal access token's metadata (the token is never shown again).")
class PersonalAccessToken(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="What the token is for.")
    scopes: list[str] = strawberry.field(description="What the token may do.")
    created_at: datetime = strawberry.field(description="When the token was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When the token was last used (to the minute)."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the token stops working (null: until revoked); its owner is "
        "mailed a week before."
    )

    @classmethod
    def from_model(cls, pat: models.PersonalAccessToken) -> PersonalAccessToken:
        return cls(
            pk=pat.id,
            name=pat.name,
            scopes=list(pat.scopes),
            created_at=pat.created_at,
            last_used_at=pat.last_used_at,
            expires_at=pat.expires_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        from api.accounts.access_tokens import visible_to

        return await resolve_scoped(
            info, node_ids, scope="account:read", query=visible_to, to_node=cls.from_model
        )


@strawberry.type(description="The answer of signUp, logIn, completeLogIn and resetPassword.")
class AuthPayload(MutationPayload):
    token: str | None = strawberry.field(
        default=None,
        description="A session token (also set as the HttpOnly cookie); null when none "
        "was opened (signUp never opens one: confirm the address, then log in; an account "
        "with a second factor gets mfaRequired instead).",
    )
    user: User | None = strawberry.field(
        default=None, description="The account (null until the sign-in is complete)."
    )
    mfa_required: bool = strawberry.field(
        default=False,
        description="True when the password was right and a second factor is needed: "
        "call completeLogIn with mfaToken and a code.",
    )
    mfa_token: str | None = strawberry.field(
        default=None,
        description="Single-use token for completeLogIn, valid 5 minutes (5 codes at most).",
    )
    mfa_factors: list[SecondFactor] = strawberry.field(
        default_factory=list, description="The second factors completeLogIn accepts."
    )

    @classmethod
    def from_sign_in(cls, sign_in: SignIn) -> AuthPayload:
        if sign_in.session_token is None:
            return cls(mfa_required=True, mfa_token=sign_in.mfa_token, mfa_factors=sign_in.factors)
        return cls(token=sign_in.session_token, user=User.from_model(sign_in.user))


@strawberry.type(description="The answer of startTotpEnrollment: scan it, then confirm a code.")
class TotpEnrollmentPayload(MutationPayload):
    secret: str | None = strawberry.field(
        default=None, description="The base32 secret, for apps that cannot scan."
    )
    uri: str | None = strawberry.field(
        default=None, description="The otpauth:// URI (what the QR code holds)."
    )
    qr_svg: str | None = strawberry.field(
        default=None, description="The QR code of the URI, as an SVG document."
    )


@strawberry.type(description="Recovery codes: shown this once, each usable once.")
class RecoveryCodesPayload(MutationPayload):
    recovery_codes: list[str] = strawberry.field(
        default_factory=list, description="Ten single-use codes; store them somewhere safe."
    )


@strawberry.type(description="A logged-in browser or app of the caller.")
class Session(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    created_at: datetime = strawberry.field(description="When the session was opened.")
    last_seen_at: datetime = strawberry.field(description="Last use (to the minute).")
    ip: str | None = strawberry.field(description="Address the session was opened from.")
    user_agent: str | None = strawberry.field(description="The browser's user agent, as sent.")
    device: str = strawberry.field(description="Browser or tool family, from the user agent.")
    current: bool = strawberry.field(description="Whether this is the session asking.")

    @classmethod
    def from_model(cls, row: models.Session, current_id: int | None) -> Session:
        return cls(
            pk=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_used_at,
            ip=row.ip,
            user_agent=row.user_agent,
            device=device_family(row.user_agent),
            current=row.id == current_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        current = info.context.principal.credential_id
        return await resolve_scoped(
            info,
            node_ids,
            scope="account:read",
            query=active_sessions,
            to_node=lambda row: cls.from_model(row, current),
        )


@strawberry.type(description="The answer of a mutation that changes the caller's account.")
class UserPayload(MutationPayload):
    user: User | None = strawberry.field(default=None, description="The account, updated.")


@strawberry.type(description="The answer of createPersonalAccessToken.")
class TokenPayload(MutationPayload):
    token: str | None = strawberry.field(
        default=None, description="The token: shown this once, store it now."
    )
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the token's metadata (to revoke it)."
    )


@strawberry.type(description="A passkey or security key of the caller.")
class WebAuthnCredential(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    name: str = strawberry.field(description="The name given when it was registered.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    last_used_at: datetime | None = strawberry.field(description="When it last signed in.")

    @classmethod
    def from_model(cls, row: models.WebAuthnCredential) -> WebAuthnCredential:
        return cls(
            pk=row.id, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        def mine(principal: Any) -> Any:
            return models.WebAuthnCredential.filter(user_id=principal.user_id or 0)

        return await resolve_scoped(
            info, node_ids, scope="account:read", query=mine, to_node=cls.from_model
        )


@strawberry.type(description="WebAuthn options to pass to the browser's credentials API.")
class WebAuthnOptionsPayload(MutationPayload):
    options: str | None = strawberry.field(
        default=None,
        description="PublicKeyCredentialCreationOptions (registration) or "
        "PublicKeyCredentialRequestOptions (sign-in), as JSON with base64url binary fields.",
    )


@strawberry.type(description="The answer of finishWebAuthnRegistration.")
class WebAuthnRegistrationPayload(MutationPayload):
    credential: WebAuthnCredential | None = strawberry.field(
        default=None, description="The registered passkey."
    )
    recovery_codes: list[str] = strawberry.field(
        default_factory=list,
        description="Ten single-use recovery codes when this is the account's first second "
        "factor (shown once); empty otherwise.",
    )
