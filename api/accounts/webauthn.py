"""Passkeys and security keys (WebAuthn), verified with the `webauthn` package.

The relying party is the SPA: its id is the host of HITFLOW_APP_URL and the only origin
accepted is that URL's origin. Challenges live in Redis for 5 minutes and are used once.
An assertion whose signature counter did not grow is refused (a cloned authenticator).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import webauthn
from tortoise.exceptions import IntegrityError
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from api.accounts.models import User, WebAuthnCredential
from api.core import clock
from api.core.errors import AlreadyExists, Invalid, InvalidCode
from api.core.logging import get_logger
from api.resources import Resources
from api.settings import Settings

log = get_logger(__name__)

CHALLENGE_TTL_SECONDS = 300
MAX_CREDENTIALS = 20
MAX_NAME = 60
MAX_RESPONSE = 20_000  # characters of credential JSON: far above any real authenticator's


def relying_party(settings: Settings) -> tuple[str, str]:
    """(rp id, origin) from the SPA URL."""
    url = urlsplit(settings.effective_app_url)
    return url.hostname or "localhost", f"{url.scheme}://{url.netloc}"


def _registration_key(user_id: int) -> str:
    return f"hitflow:webauthn:reg:{user_id}"


def _parse(response: str, field: str) -> dict[str, Any]:
    try:
        value = json.loads(response) if len(response or "") <= MAX_RESPONSE else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Invalid("Expected the authenticator's response as a JSON object.", field=field)
    return value


async def start_registration(resources: Resources, user: User) -> str:
    """Creation options (JSON for navigator.credentials.create); the challenge is kept."""
    rp_id, _ = relying_party(resources.settings)
    existing = await WebAuthnCredential.filter(user_id=user.id).values_list(
        "credential_id", flat=True
    )
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name="Hitflow",
        user_name=user.email,
        user_id=str(user.id).encode(),
        user_display_name=user.display_name or user.email,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(str(c))) for c in existing
        ],
    )
    await resources.redis.set(
        _registration_key(user.id),
        bytes_to_base64url(options.challenge),
        ex=CHALLENGE_TTL_SECONDS,
    )
    return webauthn.options_to_json(options)


async def finish_registration(
    resources: Resources, user: User, *, credential: str, name: str
) -> WebAuthnCredential:
    clean_name = (name or "").strip()
    if not clean_name or len(clean_name) > MAX_NAME:
        raise Invalid(f"The name must have 1 to {MAX_NAME} characters.", field="name")
    if await WebAuthnCredential.filter(user_id=user.id).count() >= MAX_CREDENTIALS:
        raise Invalid(f"At most {MAX_CREDENTIALS} passkeys; remove one first.", field="name")
    challenge = await resources.redis.getdel(_registration_key(user.id))
    if challenge is None:
        raise InvalidCode("Start the passkey registration again.", field="credential")
    rp_id, origin = relying_party(resources.settings)
    try:
        verified = webauthn.verify_registration_response(
            credential=_parse(credential, "credential"),
            expected_challenge=webauthn.base64url_to_bytes(
                challenge.decode() if isinstance(challenge, bytes) else challenge
            ),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        log.info("webauthn_registration_refused", user_id=user.id, reason=str(exc)[:200])
        raise InvalidCode(
            "The authenticator's answer was not accepted.", field="credential"
        ) from None
    try:
        return await WebAuthnCredential.create(
            user_id=user.id,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            name=clean_name,
        )
    except IntegrityError:
        raise AlreadyExists("This passkey is registered already.", field="credential") from None


async def authentication_options(resources: Resources, user_id: int) -> tuple[str, str]:
    """(options JSON for navigator.credentials.get, its challenge) for the user's keys."""
    rp_id, _ = relying_party(resources.settings)
    ids = await WebAuthnCredential.filter(user_id=user_id).values_list("credential_id", flat=True)
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(str(c))) for c in ids
        ],
    )
    return webauthn.options_to_json(options), bytes_to_base64url(options.challenge)


async def verify_assertion(
    resources: Resources, user_id: int, *, assertion: str, challenge: str
) -> bool:
    """True when `assertion` is a valid signature of `challenge` by one of the user's keys
    with a grown signature counter (which is then recorded)."""
    data = _parse(assertion, "webAuthnAssertion")
    raw_id = data.get("rawId") or data.get("id")
    if not isinstance(raw_id, str):
        return False
    row = await WebAuthnCredential.get_or_none(user_id=user_id, credential_id=raw_id)
    if row is None:
        return False
    rp_id, origin = relying_party(resources.settings)
    try:
        verified = webauthn.verify_authentication_response(
            credential=data,
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=webauthn.base64url_to_bytes(row.public_key),
            credential_current_sign_count=row.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        log.info("webauthn_assertion_refused", user_id=user_id, reason=str(exc)[:200])
        return False
    # Two concurrent assertions with the same counter: only one moves it.
    query = WebAuthnCredential.filter(id=row.id, sign_count=row.sign_count)
    moved = await query.update(sign_count=verified.new_sign_count, last_used_at=clock.now())
    return bool(moved)


async def remove(user_id: int, credential_pk: int) -> bool:
    return bool(await WebAuthnCredential.filter(id=credential_pk, user_id=user_id).delete())
