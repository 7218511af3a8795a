"""Account rules: sign-up, e-mail verification, login, passwords, profile.

No answer here may reveal whether an address has an account:
- signUp with a taken address answers exactly like a fresh sign-up (no session is
  returned by either; the owner of the address gets an e-mail saying someone tried);
- logIn with an unknown address, a wrong password or a deactivated account gives the
  same WRONG_PASSWORD error after the same argon2 work;
- requestPasswordReset only enqueues a job; the worker looks the address up.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import quote

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.accounts import email_tokens, mfa
from api.accounts.models import User
from api.accounts.passwords import dummy_verify, hash_password, hasher, verify_password
from api.accounts.sessions import revoke_sessions
from api.accounts.validation import check_password, clean_display_name, normalize_email
from api.auth.principal import Principal
from api.core import ratelimit
from api.core.errors import (
    DomainError,
    FieldErrors,
    Forbidden,
    Invalid,
    NotVerified,
    RateLimited,
    WrongPassword,
)
from api.core.logging import get_logger
from api.mail.service import send_mail
from api.resources import CORE_QUEUE, Resources
from api.workspaces.service import create_personal_workspace

log = get_logger(__name__)

VERIFY_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
# At most this many unsolicited mails (reset links, "someone tried", verification
# resends) per address and hour, so the API cannot be used to flood a mailbox.
MAILS_PER_ADDRESS_PER_HOUR = 3


def _key(email: str) -> str:
    # Counters are keyed by a hash: Redis never holds the address itself.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


async def _mail_allowed(resources: Resources, email: str, kind: str) -> bool:
    over = await ratelimit.hit(
        resources.redis,
        f"mail:{kind}:{_key(email)}",
        limit=MAILS_PER_ADDRESS_PER_HOUR,
        window_seconds=3600,
    )
    return over is None


def _link(resources: Resources, path: str, token: str) -> str:
    return f"{resources.settings.effective_app_url}{path}?token={quote(token)}"


# --- sign-up and verification --------------------------------------------------------


async def sign_up(
    resources: Resources, *, email: str, password: str, display_name: str | None
) -> None:
    """Create the account and its personal workspace, and mail the verification link.

    Returns nothing on purpose: the answer must be the same for a taken address.
    """
    errors = FieldErrors()  # every field's error at once
    email = errors.check(normalize_email, email)
    errors.check(check_password, password)
    name = errors.check(clean_display_name, display_name)
    errors.raise_any()
    # Hash before looking the address up, so both paths cost the same.
    password_hash = await hash_password(resources.settings, password)
    existing = await User.get_or_none(email=email)
    if existing is None:
        try:
            async with in_transaction():
                user = await User.create(
                    email=email, password_hash=password_hash, display_name=name
                )
                await create_personal_workspace(user)
        except IntegrityError:  # a concurrent sign-up with the same address won
            existing = await User.get_or_none(email=email)
        else:
            log.info("account_created", user_id=user.id)
            await send_verification(resources, user)
            return
    if existing is not None and existing.is_active:
        await _mail_someone_tried(resources, existing)


async def send_verification(resources: Resources, user: User) -> None:
    token = await email_tokens.issue(
        user, email_tokens.VERIFY_EMAIL, VERIFY_TTL, {"email": user.email}
    )
    await send_mail(
        resources,
        to=user.email,
        subject="Confirm your e-mail address for Hitflow",
        body=(
            "Welcome to Hitflow.\n\n"
            "Confirm your e-mail address by opening this link (valid 24 hours):\n\n"
            f"{_link(resources, '/verify-email', token)}\n\n"
            "If you did not sign up, ignore this message.\n"
        ),
    )


async def _mail_someone_tried(resources: Resources, user: User) -> None:
    if not await _mail_allowed(resources, user.email, "signup"):
        return
    await send_mail(
        resources,
        to=user.email,
        subject="Someone tried to sign up to Hitflow with your address",
        body=(
            "Someone (maybe you) tried to create a Hitflow account with this e-mail address,\n"
            "which already has an account. No new account was created.\n\n"
            "If it was you, log in; if you forgot your password, reset it here:\n\n"
            f"{resources.settings.effective_app_url}/reset-password\n\n"
            "If it was not you, you can ignore this message.\n"
        ),
    )


async def verify_email(token: str) -> User:
    row = await email_tokens.consume(token, email_tokens.VERIFY_EMAIL)
    user = await User.get_or_none(id=row.user_id, is_active=True)
    if user is None or row.payload.get("email") != user.email:
        raise Invalid("This link is invalid or was already used.", field="token")
    if not user.email_verified:
        user.email_verified = True
        await user.save(update_fields=["email_verified"])
        log.info("email_verified", user_id=user.id)
    return user


# --- login -------------------------------------------------------------------------


def _account_key(email: str) -> str:
    return f"login:acct:{_key(email)}"


def _ip_key(ip: str) -> str:
    return f"login:ip:{ip}"


async def _count_attempt(resources: Resources, email: str, ip: str | None) -> None:
    """Count this password attempt BEFORE it is verified; RateLimited when this account
    (or this IP) is over its limit of failures in the window.

    The counters are incremented atomically first (api.core.ratelimit.hit), so among N
    concurrent attempts at most `limit` get to the password check; a successful attempt
    then gives its unit back (`_attempt_succeeded`), so the counters hold failures (and
    attempts still being judged)."""
    settings = resources.settings
    window = settings.login_failure_window_seconds
    counters = [(_account_key(email), settings.login_max_failures_per_account, window)]
    if ip is not None:
        counters.append((_ip_key(ip), settings.login_max_failures_per_ip, window))
    wait = await ratelimit.hit_all(resources.redis, counters)
    if wait is not None:
        raise RateLimited(wait)


async def _attempt_succeeded(resources: Resources, email: str, ip: str | None) -> None:
    # The account's failures are forgiven (its owner proved the password); the IP only
    # gets this attempt's unit back, so logging into one's own account does not clear
    # the failures an IP piled up against other accounts.
    await ratelimit.reset(resources.redis, _account_key(email))
    if ip is not None:
        await ratelimit.refund(resources.redis, _ip_key(ip))


async def log_in(
    resources: Resources, *, email: str, password: str, ip: str, user_agent: str | None
) -> mfa.SignIn:
    """Check the credentials; return a new session, or the second step to complete.

    Raises RateLimited (too many recent failures for this account or this IP),
    WrongPassword (unknown address, wrong password, deactivated account: one answer),
    NotVerified (right password, address not confirmed yet: a new link is mailed).
    """
    settings = resources.settings
    wrong = WrongPassword("Wrong e-mail or password.")
    try:
        email = normalize_email(email)
    except DomainError:
        email = (email or "").strip().lower()[:254]
    await _count_attempt(resources, email, ip)
    if len(password) > 1024:
        password = password[:1025]  # never hash megabytes; the result is a failure anyway
    user = await User.get_or_none(email=email)
    if user is None or not user.is_active:
        await dummy_verify(settings, password)
        ok = False
    else:
        ok = await verify_password(settings, user.password_hash, password)
    if not ok or user is None:
        # Already counted by _count_attempt.
        log.info("login_failed", user_id=user.id if user else None, ip=ip)
        raise wrong
    await _attempt_succeeded(resources, email, ip)
    if not user.email_verified:
        if await _mail_allowed(resources, user.email, "verify"):
            await send_verification(resources, user)
        raise NotVerified("Confirm your e-mail address first: we sent you a new link.")
    if hasher(settings).check_needs_rehash(user.password_hash):
        user.password_hash = await hash_password(settings, password)
        await user.save(update_fields=["password_hash"])
    # A session, or the second step when the account has a second factor (api.accounts.mfa).
    return await mfa.after_password(resources, user, ip=ip, user_agent=user_agent)


# --- password reset ----------------------------------------------------------------


async def request_password_reset(resources: Resources, email: str) -> None:
    """Queue the reset mail; the lookup happens in the worker (same answer, same time)."""
    try:
        email = normalize_email(email)
    except DomainError:
        return
    await resources.redis.enqueue_job(
        "send_password_reset_email", email=email, _queue_name=CORE_QUEUE
    )


async def send_password_reset_email(resources: Resources, email: str) -> bool:
    """Worker side of requestPasswordReset: mail a 1-hour link if the account exists."""
    user = await User.get_or_none(email=email, is_active=True)
    if user is None or not await _mail_allowed(resources, email, "reset"):
        return False
    token = await email_tokens.issue(user, email_tokens.RESET_PASSWORD, RESET_TTL)
    await send_mail(
        resources,
        to=user.email,
        subject="Reset your Hitflow password",
        body=(
            "Someone (hopefully you) asked to reset the password of your Hitflow account.\n\n"
            "Choose a new password with this link (valid 1 hour, usable once):\n\n"
            f"{_link(resources, '/reset-password', token)}\n\n"
            "If you did not ask, ignore this message: your password stays the same.\n"
        ),
    )
    return True


async def reset_password(
    resources: Resources,
    *,
    token: str,
    password: str,
    user_agent: str | None,
    ip: str | None = None,
) -> mfa.SignIn:
    """Set a new password from a mailed link; every session ends; return a new one.

    The link proves the address, not the second factor: an account with one gets the
    second step (mfaToken) instead of a session.
    """
    check_password(password)  # before consuming, so a short password does not burn the link
    row = await email_tokens.consume(token, email_tokens.RESET_PASSWORD)
    user = await User.get_or_none(id=row.user_id, is_active=True)
    if user is None:
        raise Invalid("This link is invalid or was already used.", field="token")
    user.password_hash = await hash_password(resources.settings, password)
    user.email_verified = True  # the link proved the address
    await user.save(update_fields=["password_hash", "email_verified"])
    await email_tokens.void_unused(user.id, email_tokens.RESET_PASSWORD)
    await revoke_sessions(resources.redis, user.id)
    await ratelimit.reset(resources.redis, _account_key(user.email))
    await _mail_password_changed(resources, user)
    log.info("password_reset", user_id=user.id)
    return await mfa.after_password(resources, user, ip=ip, user_agent=user_agent)


# --- signed-in changes -------------------------------------------------------------


def _require_session(principal: Principal, what: str) -> None:
    # Credential changes need an interactive session, not a token handed to a tool.
    if principal.kind != "session":
        raise Forbidden(f"{what} needs a logged-in session, not an access token.")


async def change_password(
    resources: Resources, principal: Principal, *, current: str, new: str
) -> User:
    """Check the current password, set the new one, end every other session.

    Personal access tokens stay valid: they are separate, listed, individually revocable
    credentials given to tools, and a password change is not a revocation of those.
    """
    _require_session(principal, "Changing the password")
    user = await User.get(id=principal.user_id)
    await _count_attempt(resources, user.email, None)
    if not await verify_password(resources.settings, user.password_hash, current[:1025]):
        raise WrongPassword("The current password is wrong.", field="currentPassword")
    await _attempt_succeeded(resources, user.email, None)
    check_password(new, field="newPassword")
    user.password_hash = await hash_password(resources.settings, new)
    await user.save(update_fields=["password_hash"])
    await revoke_sessions(resources.redis, user.id, except_session_id=principal.credential_id)
    await _mail_password_changed(resources, user)
    log.info("password_changed", user_id=user.id)
    return user


async def _mail_password_changed(resources: Resources, user: User) -> None:
    await send_mail(
        resources,
        to=user.email,
        subject="Your Hitflow password was changed",
        body=(
            "The password of your Hitflow account was just changed, and your other sessions\n"
            "were logged out. If you did not do this, reset your password now:\n\n"
            f"{resources.settings.effective_app_url}/reset-password\n"
        ),
    )


async def update_profile(principal: Principal, *, display_name: str | None) -> User:
    name = clean_display_name(display_name)
    user = await User.get(id=principal.user_id)
    user.display_name = name
    await user.save(update_fields=["display_name"])
    return user
