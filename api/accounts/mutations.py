"""Account mutations: thin resolvers over api.accounts.service / access_tokens."""

from __future__ import annotations

import strawberry

from api.accounts import access_tokens, service
from api.accounts.cookies import clear_session_cookie, set_session_cookie
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
        description="Log in: returns a session token and sets it as an HttpOnly cookie. "
        "Repeated failures are throttled per account and per IP (RATE_LIMITED)."
    )
    @domain_errors_in(AuthPayload)
    async def log_in(self, info: Info, email: str, password: str) -> AuthPayload:
        context = info.context
        try:
            user, token = await service.log_in(
                context.resources,
                email=email,
                password=password,
                ip=context.client_ip,
                user_agent=_user_agent(context),
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        set_session_cookie(context.response, context.settings, token)
        return AuthPayload(token=token, user=User.from_model(user))

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
        "new one is returned (and set as the cookie)."
    )
    @domain_errors_in(AuthPayload)
    async def reset_password(self, info: Info, token: str, password: str) -> AuthPayload:
        context = info.context
        user, session = await service.reset_password(
            context.resources, token=token, password=password, user_agent=_user_agent(context)
        )
        set_session_cookie(context.response, context.settings, session)
        return AuthPayload(token=session, user=User.from_model(user))

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
        self, info: Info, name: str, scopes: list[str]
    ) -> TokenPayload:
        row, token = await access_tokens.create(info.context.principal, name=name, scopes=scopes)
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
