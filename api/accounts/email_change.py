"""Changing the sign-in address: confirmed from the new address, cancellable from the old.

requestEmailChange (password + logged-in session) mails a 24-hour link to the new
address and a notice with a cancel link to the old one; nothing changes until the new
address confirms. Confirming changes the address and logs every other session out.
The answer never says whether the new address already has an account: that address is
told by e-mail instead.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from tortoise.exceptions import IntegrityError

from api.accounts import email_tokens
from api.accounts.models import User
from api.accounts.passwords import verify_password
from api.accounts.sessions import revoke_sessions
from api.accounts.validation import normalize_email
from api.auth.principal import Principal
from api.core import ratelimit
from api.core.errors import AlreadyExists, Forbidden, Invalid, RateLimited, WrongPassword
from api.core.logging import get_logger
from api.mail.service import send_mail
from api.resources import Resources

log = get_logger(__name__)

CHANGE_EMAIL = "change_email"
CANCEL_EMAIL_CHANGE = "cancel_email_change"
CHANGE_TTL = timedelta(hours=24)
CANCEL_TTL = timedelta(days=7)
REQUESTS_PER_HOUR = 5


def _link(resources: Resources, path: str, token: str) -> str:
    return f"{resources.settings.effective_app_url}{path}?token={quote(token)}"


async def request_change(
    resources: Resources, principal: Principal, *, new_email: str, password: str
) -> None:
    if principal.kind != "session" or principal.user_id is None:
        raise Forbidden("Changing the e-mail address needs a logged-in session.")
    over = await ratelimit.hit(
        resources.redis,
        f"email-change:{principal.user_id}",
        limit=REQUESTS_PER_HOUR,
        window_seconds=3600,
    )
    if over is not None:
        raise RateLimited(over)
    user = await User.get(id=principal.user_id)
    if not await verify_password(resources.settings, user.password_hash, (password or "")[:1025]):
        raise WrongPassword("The password is wrong.", field="password")
    new = normalize_email(new_email, field="newEmail")
    if new == user.email:
        raise Invalid("This is already your address.", field="newEmail")
    await email_tokens.void_unused(user.id, CHANGE_EMAIL)
    await email_tokens.void_unused(user.id, CANCEL_EMAIL_CHANGE)
    if await User.exists(email=new):
        await send_mail(
            resources,
            to=new,
            subject="Someone tried to move a Hitflow account to your address",
            body=(
                "Someone asked to move another Hitflow account to this e-mail address,\n"
                "which already has an account. Nothing was changed.\n"
            ),
        )
    else:
        change = await email_tokens.issue(
            user, CHANGE_EMAIL, CHANGE_TTL, {"email": new, "old": user.email}
        )
        await send_mail(
            resources,
            to=new,
            subject="Confirm your new e-mail address for Hitflow",
            body=(
                f"Confirm that {new} becomes the sign-in address of your Hitflow account\n"
                "(valid 24 hours, usable once):\n\n"
                f"{_link(resources, '/account/confirm-email-change', change)}\n\n"
                "If you did not ask for this, ignore this message.\n"
            ),
        )
    cancel = await email_tokens.issue(user, CANCEL_EMAIL_CHANGE, CANCEL_TTL, {"email": new})
    await send_mail(
        resources,
        to=user.email,
        subject="A change of your Hitflow e-mail address was requested",
        body=(
            f"Someone (hopefully you) asked to change the address of your Hitflow account to\n"
            f"{new}. It changes only once that address confirms.\n\n"
            "If this was not you, cancel it here and change your password:\n\n"
            f"{_link(resources, '/account/cancel-email-change', cancel)}\n"
        ),
    )
    log.info("email_change_requested", user_id=user.id)


async def confirm_change(resources: Resources, principal: Principal, token: str) -> User:
    row = await email_tokens.consume(token, CHANGE_EMAIL)
    user = await User.get_or_none(id=row.user_id, is_active=True)
    if user is None or row.payload.get("old") != user.email:
        raise Invalid("This link is invalid or was already used.", field="token")
    old, new = user.email, str(row.payload["email"])
    user.email = new
    user.email_verified = True  # the link proved the new address
    try:
        await user.save(update_fields=["email", "email_verified"])
    except IntegrityError:  # taken since the request
        raise AlreadyExists("This address now belongs to another account.", field="token") from None
    await email_tokens.void_unused(user.id, CANCEL_EMAIL_CHANGE)
    keep = principal.credential_id if principal.kind == "session" else None
    if principal.user_id != user.id:
        keep = None
    await revoke_sessions(resources.redis, user.id, except_session_id=keep)
    await send_mail(
        resources,
        to=old,
        subject="Your Hitflow e-mail address was changed",
        body=(
            f"The sign-in address of your Hitflow account is now {new}, and its other\n"
            "sessions were logged out. If you did not do this, contact support now.\n"
        ),
    )
    log.info("email_changed", user_id=user.id)
    return user


async def cancel_change(token: str) -> None:
    """The old address said no: the pending confirmation link stops working."""
    row = await email_tokens.consume(token, CANCEL_EMAIL_CHANGE)
    if row.user_id is not None:
        await email_tokens.void_unused(row.user_id, CHANGE_EMAIL)
        log.info("email_change_cancelled", user_id=row.user_id)
