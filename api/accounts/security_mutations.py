"""Account security mutations: second factors and sessions (thin resolvers over mfa/sessions)."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission

from api.accounts import email_change, mfa
from api.accounts.sessions import revoke_session, revoke_sessions
from api.accounts.types import (
    RecoveryCodesPayload,
    Session,
    TotpEnrollmentPayload,
    User,
    UserPayload,
    WebAuthnCredential,
    WebAuthnOptionsPayload,
    WebAuthnRegistrationPayload,
)
from api.core.errors import NotFound, RateLimited
from api.core.ids import decode
from api.graphql.context import Context, Info
from api.graphql.payloads import DeletePayload, domain_errors_in
from api.graphql.permissions import IsStaff, requires
from api.oauth.permissions import SessionOnly

WRITE = [requires("account:write")]
# Second factors are the keys to the account: a personal or OAuth token must not add,
# remove or replace them (it could lock the owner out), only the user's own session.
FACTORS: list[type[BasePermission]] = [requires("account:write"), SessionOnly]


def _rate_limited(context: Context, exc: RateLimited) -> RateLimited:
    if context.response is not None:
        context.response.headers["Retry-After"] = str(exc.retry_after)
    return exc


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Start setting up an authenticator app (logged-in session only): returns "
        "a new secret, its otpauth:// URI and a QR code. Nothing changes until "
        "confirmTotpEnrollment; starting again replaces an unconfirmed secret.",
        permission_classes=FACTORS,
    )
    @domain_errors_in(TotpEnrollmentPayload)
    async def start_totp_enrollment(self, info: Info) -> TotpEnrollmentPayload:
        enrollment = await mfa.start_totp(info.context.resources, info.context.principal)
        return TotpEnrollmentPayload(
            secret=enrollment.secret, uri=enrollment.uri, qr_svg=enrollment.qr_svg
        )

    @strawberry.mutation(
        description="Turn the authenticator app on with a current code from it; returns ten "
        "recovery codes (shown once). The account is mailed.",
        permission_classes=FACTORS,
    )
    @domain_errors_in(RecoveryCodesPayload)
    async def confirm_totp_enrollment(self, info: Info, code: str) -> RecoveryCodesPayload:
        codes = await mfa.confirm_totp(info.context.resources, info.context.principal, code)
        return RecoveryCodesPayload(recovery_codes=codes)

    @strawberry.mutation(
        description="Turn the authenticator app off (and void the recovery codes): needs the "
        "password and a current code (from the app, or a recovery code). The account is "
        "mailed.",
        permission_classes=FACTORS,
    )
    @domain_errors_in(UserPayload)
    async def disable_totp(self, info: Info, password: str, code: str) -> UserPayload:
        context = info.context
        try:
            user = await mfa.disable_totp(
                context.resources, context.principal, password=password, code=code
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        return UserPayload(user=User.from_model(user))

    @strawberry.mutation(
        description="Replace the recovery codes with ten new ones (the old ones stop "
        "working): needs the password and a current code. The account is mailed.",
        permission_classes=FACTORS,
    )
    @domain_errors_in(RecoveryCodesPayload)
    async def regenerate_recovery_codes(
        self, info: Info, password: str, code: str
    ) -> RecoveryCodesPayload:
        context = info.context
        try:
            codes = await mfa.regenerate_recovery_codes(
                context.resources, context.principal, password=password, code=code
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        return RecoveryCodesPayload(recovery_codes=codes)

    @strawberry.mutation(
        description="Staff only: remove every second factor of an account that lost them "
        "all, and log it out. The reason is recorded and shown in the user's accessLog.",
        permission_classes=[IsStaff],
    )
    @domain_errors_in(UserPayload)
    async def staff_reset_two_factor(self, info: Info, email: str, reason: str) -> UserPayload:
        staff_id = info.context.principal.user_id
        assert staff_id is not None  # IsStaff: a signed-in session
        await mfa.staff_reset(info.context.resources, staff_id, email=email, reason=reason)
        return UserPayload()

    @strawberry.mutation(
        description="End one of your sessions (its live subscriptions close at once).",
        permission_classes=WRITE,
    )
    @domain_errors_in(DeletePayload)
    async def revoke_session(self, info: Info, id: strawberry.ID) -> DeletePayload:
        principal = info.context.principal
        pk = decode(id, Session.__name__)
        assert principal.user_id is not None  # requires(): authenticated
        if not await revoke_session(info.context.resources.redis, principal.user_id, pk):
            raise NotFound("No active session with this id.", field="id")
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        description="End every session but the one asking (logged-in session only); returns "
        "how many ended.",
        permission_classes=WRITE,
    )
    async def revoke_other_sessions(self, info: Info) -> int:
        principal = info.context.principal
        user_id = mfa.require_session(principal)
        ended = await revoke_sessions(
            info.context.resources.redis, user_id, except_session_id=principal.credential_id
        )
        return len(ended)

    @strawberry.mutation(
        description="Ask to change the sign-in address (password; logged-in session only): "
        "a 24-hour confirmation link goes to the new address and a notice with a cancel "
        "link to the current one. The address changes only on confirmation. At most 5 "
        "requests an hour.",
        permission_classes=WRITE,
    )
    @domain_errors_in(UserPayload)
    async def request_email_change(self, info: Info, new_email: str, password: str) -> UserPayload:
        context = info.context
        try:
            await email_change.request_change(
                context.resources, context.principal, new_email=new_email, password=password
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        return UserPayload()

    @strawberry.mutation(
        description="Confirm a new sign-in address with the token mailed to it: the address "
        "changes and every other session is logged out (works without a session too)."
    )
    @domain_errors_in(UserPayload)
    async def confirm_email_change(self, info: Info, token: str) -> UserPayload:
        context = info.context
        user = await email_change.confirm_change(context.resources, context.principal, token)
        principal = context.principal
        mine = principal.user_id == user.id and principal.has_scope("account:read")
        return UserPayload(user=User.from_model(user) if mine else None)

    @strawberry.mutation(
        description="Cancel a pending address change with the token mailed to the current "
        "address: the confirmation link stops working."
    )
    @domain_errors_in(UserPayload)
    async def cancel_email_change(self, info: Info, token: str) -> UserPayload:
        await email_change.cancel_change(token)
        return UserPayload()

    @strawberry.mutation(
        description="Start registering a passkey or security key (logged-in session only): "
        "options for navigator.credentials.create(); the challenge is valid 5 minutes.",
        permission_classes=FACTORS,
    )
    @domain_errors_in(WebAuthnOptionsPayload)
    async def start_web_authn_registration(self, info: Info) -> WebAuthnOptionsPayload:
        options = await mfa.start_passkey(info.context.resources, info.context.principal)
        return WebAuthnOptionsPayload(options=options)

    @strawberry.mutation(
        description="Finish registering a passkey with the browser's answer (the "
        "PublicKeyCredential as JSON) and a name. The account is mailed.",
        permission_classes=FACTORS,
    )
    @domain_errors_in(WebAuthnRegistrationPayload)
    async def finish_web_authn_registration(
        self, info: Info, credential: str, name: str
    ) -> WebAuthnRegistrationPayload:
        row, codes = await mfa.finish_passkey(
            info.context.resources, info.context.principal, credential=credential, name=name
        )
        return WebAuthnRegistrationPayload(
            credential=WebAuthnCredential.from_model(row), recovery_codes=codes
        )

    @strawberry.mutation(
        description="Remove a passkey: needs the password and a current code (authenticator "
        "app or recovery code). The account is mailed.",
        permission_classes=FACTORS,
    )
    @domain_errors_in(DeletePayload)
    async def remove_web_authn_credential(
        self, info: Info, id: strawberry.ID, password: str, code: str
    ) -> DeletePayload:
        context = info.context
        pk = decode(id, WebAuthnCredential.__name__)
        try:
            await mfa.remove_passkey(
                context.resources, context.principal, pk, password=password, code=code
            )
        except RateLimited as exc:
            raise _rate_limited(context, exc) from None
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        description="Second step of logIn with a passkey: options for "
        "navigator.credentials.get() for the pending sign-in; then pass the answer to "
        "completeLogIn(webAuthnAssertion:)."
    )
    @domain_errors_in(WebAuthnOptionsPayload)
    async def start_web_authn_log_in(self, info: Info, mfa_token: str) -> WebAuthnOptionsPayload:
        options = await mfa.start_webauthn_log_in(info.context.resources, mfa_token=mfa_token)
        return WebAuthnOptionsPayload(options=options)
