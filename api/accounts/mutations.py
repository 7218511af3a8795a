"""Account mutations: thin resolvers over api.accounts.service / access_tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.accounts import access_tokens, mfa, service
from api.accounts.cookies import clear_session_cookie, set_session_cookie
from api.accounts.mfa import SignIn
from api.accounts.sessions import revoke_session
from api.accounts.types import AuthPayload, PersonalAccessToken, TokenPayload, User, UserPayload
from api.core import ratelimit
from api.core.errors import RateLimited
from api.core.ids import decode, encode
from api.graphql.context import Context, Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import IsAuthenticated, requires

# Anonymous mutations that send mail or create accounts, per client IP and hour.
ANONYMOUS_ACTIONS_PER_IP_PER_HOUR = 30


def _user_agent(context: Context) -> str | None:
    return context.request.headers.get("user-agent")


def _rate_limited(context: Context, exc: RateLimited) -> RateLimited:
    if context.response is not None:
        context.response.headers["Retry-After"] = str(exc.retry_after)
    return exc


async def _limit_anonymous(context: Context, action: str) -> None:
    wait = await ratelimit.hit(
        context.resources.redis,
        f"anon:{action}:{context.client_ip}",
        limit=ANONYMOUS_ACTIONS_PER_IP_PER_HOUR,
        window_seconds=3600,
    )
    if wait is not None:
        raise _rate_limited(context, RateLimited(wait))


def _signed_in(context: Context, sign_in: SignIn) -> AuthPayload:
    if sign_in.session_token is not None:
        set_session_cookie(context.response, context.settings, sign_in.session_token)
    return AuthPayload.from_sign_in(sign_in)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create an account and its personal workspace, and mail a link to confirm "
        "the address. The answer is the same whether or not the address already has an "
        "account (its owner is told by e-mail); no session is opened: confirm, then log in."
    )
    @domain_errors_in(AuthPayload)
    async def sign_up(
        self, info: Info, email: str, password: str, display_name: str | None = None
    ) -> AuthPayload:
        await _limit_anonymous(info.context, "signup")
        await service.sign_up(
            info.context.resources, email=email, password=password, display_name=display_name
        )
        return AuthPayload()

    @strawberry.mutation(description="Confirm an e-mail address with the mailed single-use token.")
    @domain_errors_in(UserPayload)
    async def verify_email(self, info: Info, token: str) -> UserPayload:
        user = await service.verify_email(token)
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Log in: returns a session token and sets it as an HttpOnly cookie; for "
        "an account with a second factor, no session but mfaRequired, mfaToken and "
        "mfaFactors (then call completeLogIn). Repeated failures are throttled per account "
        "and per IP (RATE_LIMITED)."
    )
    @domain_errors_in(AuthPayload)
    async def log_in(self, info: Info, email: str, password: str) -> AuthPayload:
        context = info.context
        try:
            sign_in = await service.log_in(
                context.resources,
                email=email,
                password=password,
                ip=context.client_ip,
                user_agent=_user_agent(context),
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        return _signed_in(context, sign_in)

    @strawberry.mutation(
        description="Second step of logIn for an account with a second factor: the mfaToken "
        "and exactly one of totpCode (authenticator app), webAuthnAssertion (passkey, after "
        "startWebAuthnLogIn) or recoveryCode (single use). "
        "Returns the session like logIn. Wrong codes: INVALID_CODE; after 5 the mfaToken is "
        "void (log in again); too many per account: RATE_LIMITED."
    )
    @domain_errors_in(AuthPayload)
    async def complete_log_in(
        self,
        info: Info,
        mfa_token: str,
        totp_code: str | None = None,
        recovery_code: str | None = None,
        web_authn_assertion: Annotated[
            str | None,
            strawberry.argument(
                description="The browser's answer to startWebAuthnLogIn's options "
                "(the PublicKeyCredential as JSON)."
            ),
        ] = None,
    ) -> AuthPayload:
        context = info.context
        try:
            sign_in = await mfa.complete_log_in(
                context.resources,
                mfa_token=mfa_token,
                totp_code=totp_code,
                recovery_code=recovery_code,
                webauthn_assertion=web_authn_assertion,
                ip=context.client_ip,
                user_agent=_user_agent(context),
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        return _signed_in(context, sign_in)

    @strawberry.mutation(
        description="End the current session and clear the cookie; true when a session ended "
        "(access tokens are revoked with revokePersonalAccessToken instead)."
    )
    async def log_out(self, info: Info) -> bool:
        context = info.context
        principal = context.principal
        ended = False
        if principal.kind == "session" and principal.user_id and principal.credential_id:
            ended = await revoke_session(
                context.resources.redis, principal.user_id, principal.credential_id
            )
        clear_session_cookie(context.response, context.settings)
        return ended

    @strawberry.mutation(
        description="Mail a password-reset link (1 hour, single use) if the address has an "
        "account. Always true: the answer never tells whether it does."
    )
    async def request_password_reset(self, info: Info, email: str) -> bool:
        await _limit_anonymous(info.context, "reset")
        await service.request_password_reset(info.context.resources, email)
        return True

    @strawberry.mutation(
        description="Set a new password with a mailed reset token: every session ends and a "
        "new one is returned (and set as the cookie) - or, for an account with a second "
        "factor, mfaRequired and an mfaToken for completeLogIn."
    )
    @domain_errors_in(AuthPayload)
    async def reset_password(self, info: Info, token: str, password: str) -> AuthPayload:
        context = info.context
        sign_in = await service.reset_password(
            context.resources,
            token=token,
            password=password,
            user_agent=_user_agent(context),
            ip=context.client_ip,
        )
        return _signed_in(context, sign_in)

    @strawberry.mutation(
        description="Change the password (logged-in session only); the other sessions end. "
        "Personal access tokens stay valid.",
        permission_classes=[requires("account:write")],
    )
    @domain_errors_in(UserPayload)
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> UserPayload:
        context = info.context
        try:
            user = await service.change_password(
                context.resources, context.principal, current=current_password, new=new_password
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Change the display name (null or blank clears it; at most 100 characters).",
        permission_classes=[requires("account:write")],
    )
    @domain_errors_in(UserPayload)
    async def update_profile(self, info: Info, display_name: str | None = None) -> UserPayload:
        user = await service.update_profile(info.context.principal, display_name=display_name)
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Create a personal access token with the given scopes (a subset of "
        "account:read account:write targets:read targets:write results:read alerts:read "
        "alerts:write metrics:read). Logged-in sessions only. The token is shown once.",
        permission_classes=[requires("account:write")],
    )
    @domain_errors_in(TokenPayload)
    async def create_personal_access_token(
        self,
        info: Info,
        name: str,
        scopes: list[str],
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(
                description="When the token stops working (1 hour to 366 days ahead; its "
                "owner is mailed a week before). Omitted: until revoked."
            ),
        ] = None,
    ) -> TokenPayload:
        row, token = await access_tokens.create(
            info.context.principal, name=name, scopes=scopes, expires_at=expires_at
        )
        return TokenPayload(token=token, id=strawberry.ID(encode("PersonalAccessToken", row.id)))

    @strawberry.mutation(
        description="Revoke one of your personal access tokens (it stops working at once).",
        permission_classes=[IsAuthenticated, requires("account:write")],
    )
    @domain_errors_in(DeletePayload)
    async def revoke_personal_access_token(self, info: Info, id: strawberry.ID) -> DeletePayload:
        pk = decode(id, PersonalAccessToken.__name__)
        await access_tokens.revoke(info.context.resources, info.context.principal, pk)
        return DeletePayload(deleted_id=id)
