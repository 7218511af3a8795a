"""Two-step sign-in and the management of second factors.

logIn checks the password (api.accounts.service); when the account has a second factor,
no session is opened: the caller gets a short-lived single-use mfaToken (kept in Redis,
only its hash as the key) and completeLogIn(mfaToken, code) opens the session. Nothing
about factors is said before the password step succeeded.

Attempts are counted before they are judged (INCR, then compare), per mfaToken and per
account, so concurrent guesses cannot all pass: after MAX_ATTEMPTS_PER_TOKEN codes the
token is void (log in again); after MAX_ATTEMPTS_PER_ACCOUNT codes in the window every
completion for the account is RATE_LIMITED, whichever token is used.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field

from api.accounts import totp, webauthn
from api.accounts.factors import SecondFactor, factors_of
from api.accounts.models import Session, User, WebAuthnCredential
from api.accounts.passwords import verify_password
from api.accounts.sessions import create_session, revoke_sessions
from api.auth.principal import Principal
from api.core import clock, ratelimit
from api.core.errors import Forbidden, Invalid, InvalidCode, NotFound, RateLimited, WrongPassword
from api.core.logging import get_logger
from api.core.tokens import new_token
from api.mail.service import send_mail
from api.privacy import audit
from api.resources import Resources

log = get_logger(__name__)

MFA_TOKEN_PREFIX = "hf_mfa_"
MFA_TOKEN_TTL_SECONDS = 300
MAX_ATTEMPTS_PER_TOKEN = 5
MAX_ATTEMPTS_PER_ACCOUNT = 10
ACCOUNT_WINDOW_SECONDS = 900
# Password + factor checks when changing factors, per account and window.
MAX_MANAGE_ATTEMPTS = 10


@dataclass
class SignIn:
    """The outcome of a successful password step: a session, or a second step to do."""

    user: User
    session_token: str | None = None
    mfa_token: str | None = None
    factors: list[SecondFactor] = field(default_factory=list)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_key(token: str) -> str:
    return f"hitflow:mfa:{_digest(token)}"


async def after_password(
    resources: Resources, user: User, *, ip: str | None, user_agent: str | None
) -> SignIn:
    """The password was right: open a session, or ask for the second factor."""
    factors = await factors_of(user.id)
    if not factors:
        token = await open_session(resources, user, ip=ip, user_agent=user_agent)
        log.info("login_succeeded", user_id=user.id, ip=ip)
        return SignIn(user=user, session_token=token)
    mfa_token = new_token(MFA_TOKEN_PREFIX)
    # The deadline is judged with our clock; Redis' TTL only cleans up.
    expires = clock.now().timestamp() + MFA_TOKEN_TTL_SECONDS
    await resources.redis.set(
        _token_key(mfa_token),
        json.dumps({"userId": user.id, "expires": expires}),
        ex=MFA_TOKEN_TTL_SECONDS,
    )
    log.info("login_second_factor_required", user_id=user.id, ip=ip)
    return SignIn(user=user, mfa_token=mfa_token, factors=factors)


async def complete_log_in(
    resources: Resources,
    *,
    mfa_token: str,
    totp_code: str | None = None,
    recovery_code: str | None = None,
    webauthn_assertion: str | None = None,
    ip: str | None,
    user_agent: str | None,
) -> SignIn:
    """Second step: check one factor against the pending sign-in; open the session."""
    given = [c for c in (totp_code, recovery_code, webauthn_assertion) if c]
    if len(given) != 1:
        raise Invalid(
            "Give exactly one of totpCode, recoveryCode and webAuthnAssertion.", field="totpCode"
        )
    redis = resources.redis
    key = _token_key(mfa_token or "")
    raw = await redis.get(key)
    pending = json.loads(raw) if raw is not None else None
    if pending is None or pending["expires"] <= clock.now().timestamp():
        raise InvalidCode(
            "This sign-in expired or was already completed: log in again.", field="mfaToken"
        )
    user_id = int(pending["userId"])
    # Count first, judge after: concurrent guesses all count.
    over_token = await ratelimit.hit(
        redis,
        f"mfa:token:{_digest(mfa_token)}",
        limit=MAX_ATTEMPTS_PER_TOKEN,
        window_seconds=MFA_TOKEN_TTL_SECONDS,
    )
    if over_token is not None:
        await redis.delete(key)
        raise InvalidCode("Too many wrong codes: log in again.", field="mfaToken")
    over_account = await ratelimit.hit(
        redis,
        f"mfa:acct:{user_id}",
        limit=MAX_ATTEMPTS_PER_ACCOUNT,
        window_seconds=ACCOUNT_WINDOW_SECONDS,
    )
    if over_account is not None:
        raise RateLimited(over_account)
    user = await User.get_or_none(id=user_id, is_active=True)
    if user is None:
        raise InvalidCode("This sign-in expired: log in again.", field="mfaToken")
    if totp_code:
        ok = await totp.verify(resources.keyring, user_id, totp_code)
        field_name = "totpCode"
    elif webauthn_assertion:
        field_name = "webAuthnAssertion"
        challenge = pending.get("challenge")
        if not isinstance(challenge, str):
            raise InvalidCode("Ask for the passkey challenge first.", field=field_name)
        ok = await webauthn.verify_assertion(
            resources, user_id, assertion=webauthn_assertion, challenge=challenge
        )
    else:
        ok = await totp.use_recovery_code(user_id, recovery_code or "")
        field_name = "recoveryCode"
    if not ok:
        log.info("login_second_factor_failed", user_id=user_id, ip=ip)
        raise InvalidCode("This code is wrong, expired or was already used.", field=field_name)
    # The token is single use: of two concurrent right answers, one opens a session.
    if await redis.getdel(key) is None:
        raise InvalidCode("This sign-in was already completed: log in again.", field="mfaToken")
    token = await open_session(resources, user, ip=ip, user_agent=user_agent)
    log.info("login_succeeded", user_id=user.id, ip=ip, factor=field_name)
    if recovery_code:
        left = await totp.recovery_codes_left(user_id)
        await _mail(
            resources,
            user,
            "A recovery code was used to sign in to Hitflow",
            f"One of your recovery codes was just used to sign in; {left} remain unused.\n"
            "If this was not you, change your password and your second factor now.",
        )
    return SignIn(user=user, session_token=token)


async def start_webauthn_log_in(resources: Resources, *, mfa_token: str) -> str:
    """Assertion options for a pending sign-in (its challenge joins the pending record)."""
    key = _token_key(mfa_token or "")
    raw = await resources.redis.get(key)
    pending = json.loads(raw) if raw is not None else None
    if pending is None or pending["expires"] <= clock.now().timestamp():
        raise InvalidCode(
            "This sign-in expired or was already completed: log in again.", field="mfaToken"
        )
    options, challenge = await webauthn.authentication_options(resources, int(pending["userId"]))
    pending["challenge"] = challenge
    await resources.redis.set(key, json.dumps(pending), keepttl=True, xx=True)
    return options


# --- sessions and new devices --------------------------------------------------------


def device_family(user_agent: str | None) -> str:
    """A coarse user-agent family (browser or tool), enough to recognise a device."""
    ua = user_agent or ""
    for needle, family in (
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ):
        if needle in ua:
            return family
    return ua.split("/", 1)[0].strip()[:40] or "Unknown"


def ip_network(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) around an address."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


async def _is_new_device(user: User, ip: str | None, user_agent: str | None) -> bool:
    earlier = await Session.filter(user_id=user.id, ip__isnull=False).order_by("-id").limit(100)
    if not earlier:
        # The first sign-in of an account is not news (nor the first since sessions
        # recorded their address: nothing to compare with).
        return False
    family, network = device_family(user_agent), ip_network(ip)
    return not any(
        device_family(s.user_agent) == family and ip_network(s.ip) == network for s in earlier
    )


async def open_session(
    resources: Resources, user: User, *, ip: str | None, user_agent: str | None
) -> str:
    """Open a fully signed-in session; mail a notice when the device is new."""
    new_device = await _is_new_device(user, ip, user_agent)
    token = await create_session(resources.settings, user, user_agent, ip=ip)
    if new_device:
        await _mail(
            resources,
            user,
            "New sign-in to your Hitflow account",
            f"Your account was just signed in to from {device_family(user_agent)} at {ip}.\n"
            "If this was you, there is nothing to do. If not, review your sessions and end\n"
            f"the ones you do not know, then change your password:\n\n"
            f"{resources.settings.effective_app_url}/account/security\n",
        )
    return token


# --- managing factors ----------------------------------------------------------------


def require_session(principal: Principal) -> int:
    if principal.kind != "session" or principal.user_id is None:
        raise Forbidden("Second factors can only be changed from a logged-in session.")
    return principal.user_id


async def _mail(resources: Resources, user: User, subject: str, text: str) -> None:
    await send_mail(resources, to=user.email, subject=subject, body=text + "\n")


async def _mail_change(resources: Resources, user: User, what: str) -> None:
    await _mail(
        resources,
        user,
        "Your Hitflow sign-in settings changed",
        f"{what}\n\nIf you did not do this, reset your password now and contact support:\n"
        f"{resources.settings.effective_app_url}/reset-password",
    )


async def _check_password_and_factor(
    resources: Resources, user: User, *, password: str, code: str
) -> None:
    """Both the password and a current factor (TOTP or recovery code), throttled."""
    over = await ratelimit.hit(
        resources.redis,
        f"mfa:manage:{user.id}",
        limit=MAX_MANAGE_ATTEMPTS,
        window_seconds=ACCOUNT_WINDOW_SECONDS,
    )
    if over is not None:
        raise RateLimited(over)
    if not await verify_password(resources.settings, user.password_hash, (password or "")[:1025]):
        raise WrongPassword("The password is wrong.", field="password")
    if not (
        await totp.verify(resources.keyring, user.id, code)
        or await totp.use_recovery_code(user.id, code)
    ):
        raise InvalidCode("This code is wrong, expired or was already used.", field="code")


async def start_totp(resources: Resources, principal: Principal) -> totp.Enrollment:
    user = await User.get(id=require_session(principal))
    return await totp.start_enrollment(resources.keyring, user)


async def confirm_totp(resources: Resources, principal: Principal, code: str) -> list[str]:
    user = await User.get(id=require_session(principal))
    codes = await totp.confirm_enrollment(resources.keyring, user, code)
    await _mail_change(resources, user, "An authenticator app was added to your account.")
    log.info("totp_enabled", user_id=user.id)
    return codes


async def disable_totp(
    resources: Resources, principal: Principal, *, password: str, code: str
) -> User:
    user = await User.get(id=require_session(principal))
    if await totp.active_device(user.id) is None:
        raise NotFound("No authenticator app is set up.", field="code")
    await _check_password_and_factor(resources, user, password=password, code=code)
    await totp.remove(user.id)
    await _drop_recovery_codes_if_no_factor(user.id)
    await _mail_change(resources, user, "The authenticator app of your account was removed.")
    log.info("totp_disabled", user_id=user.id)
    return user


async def regenerate_recovery_codes(
    resources: Resources, principal: Principal, *, password: str, code: str
) -> list[str]:
    user = await User.get(id=require_session(principal))
    if not await factors_of(user.id):
        raise NotFound("Set up a second factor first.", field="code")
    await _check_password_and_factor(resources, user, password=password, code=code)
    codes = await totp.replace_recovery_codes(user)
    await _mail_change(
        resources, user, "New recovery codes were made; the old ones stopped working."
    )
    log.info("recovery_codes_regenerated", user_id=user.id)
    return codes


async def _drop_recovery_codes_if_no_factor(user_id: int) -> None:
    if not await factors_of(user_id):
        await totp.delete_recovery_codes(user_id)


async def start_passkey(resources: Resources, principal: Principal) -> str:
    user = await User.get(id=require_session(principal))
    return await webauthn.start_registration(resources, user)


async def finish_passkey(
    resources: Resources, principal: Principal, *, credential: str, name: str
) -> tuple[WebAuthnCredential, list[str]]:
    """Register the passkey; new recovery codes when the account had no factor yet."""
    user = await User.get(id=require_session(principal))
    first = not await factors_of(user.id)
    row = await webauthn.finish_registration(resources, user, credential=credential, name=name)
    codes = await totp.replace_recovery_codes(user) if first else []
    await _mail_change(resources, user, f'A passkey ("{row.name}") was added to your account.')
    log.info("passkey_added", user_id=user.id, credential=row.id)
    return row, codes


async def remove_passkey(
    resources: Resources, principal: Principal, credential_pk: int, *, password: str, code: str
) -> None:
    """Remove a passkey: the password and a current code (authenticator app or recovery)."""
    user = await User.get(id=require_session(principal))
    row = await WebAuthnCredential.get_or_none(id=credential_pk, user_id=user.id)
    if row is None:
        raise NotFound("No passkey with this id.", field="id")
    await _check_password_and_factor(resources, user, password=password, code=code)
    await webauthn.remove(user.id, credential_pk)
    await _drop_recovery_codes_if_no_factor(user.id)
    await _mail_change(resources, user, f'The passkey "{row.name}" was removed from your account.')
    log.info("passkey_removed", user_id=user.id, credential=credential_pk)


async def staff_reset(resources: Resources, staff_id: int, *, email: str, reason: str) -> User:
    """Staff: remove every second factor of an account (reason required, audited, visible)."""
    clean = audit.clean_reason(reason)
    staff = await User.get(id=staff_id)
    user = await User.get_or_none(email=(email or "").strip().lower())
    if user is None:
        raise NotFound("No user with this e-mail.", field="email")
    await totp.remove(user.id)
    await WebAuthnCredential.filter(user_id=user.id).delete()
    await totp.delete_recovery_codes(user.id)
    await revoke_sessions(resources.redis, user.id)
    await audit.record(
        user.id,
        "two_factor_reset",
        actor=audit.staff_label(staff),
        actor_user_id=staff.id,
        reason=clean,
    )
    await _mail_change(
        resources,
        user,
        f"Hitflow support removed the second factors of your account (reason: {clean}).\n"
        "Every session was logged out. Sign in with your password and set a factor up again.",
    )
    log.info("two_factor_reset_by_staff", user_id=user.id, staff_id=staff.id)
    return user
