"""Secrets at rest: the newest key encrypts, every key of the ring decrypts."""

from __future__ import annotations

import base64
import secrets

import pytest

from api.core.crypto import DecryptionError, KeyRing
from api.settings import load_settings


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def ring(*keys: str, tmp_path) -> KeyRing:
    return KeyRing(load_settings(secret_keys=list(keys), data_dir=tmp_path).key_ring_keys)


def test_round_trip_and_ciphertext_hides_the_secret(tmp_path) -> None:
    keys = ring(new_key(), tmp_path=tmp_path)
    sealed = keys.encrypt("s3cret-webhook-url")
    assert "s3cret" not in sealed
    assert keys.decrypt(sealed) == "s3cret-webhook-url"
    assert keys.decrypt_json(keys.encrypt_json({"token": "x", "n": 1})) == {"token": "x", "n": 1}
    # A random nonce per message: the same plaintext never gives the same ciphertext.
    assert keys.encrypt("same") != keys.encrypt("same")


def test_rotation_new_key_encrypts_old_key_still_decrypts(tmp_path) -> None:
    old, new = new_key(), new_key()
    before = ring(old, tmp_path=tmp_path).encrypt("written before rotation")

    rotated = ring(new, old, tmp_path=tmp_path)  # HITFLOW_SECRET_KEYS="new,old"
    assert rotated.decrypt(before) == "written before rotation"
    after = rotated.encrypt("written after rotation")

    # Only the newest key was used: dropping the old key keeps new data readable...
    assert ring(new, tmp_path=tmp_path).decrypt(after) == "written after rotation"
    # ...and data still sealed with the old key is refused, not silently garbled.
    with pytest.raises(DecryptionError):
        ring(new, tmp_path=tmp_path).decrypt(before)
    with pytest.raises(DecryptionError):
        ring(old, tmp_path=tmp_path).decrypt(after)


def test_tampered_ciphertext_is_refused(tmp_path) -> None:
    keys = ring(new_key(), tmp_path=tmp_path)
    blob = bytearray(keys.encrypt_bytes(b"payload"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        keys.decrypt_bytes(bytes(blob))
    with pytest.raises(DecryptionError):
        keys.decrypt("not-a-ciphertext")


def test_associated_data_binds_a_secret_to_its_row(tmp_path) -> None:
    keys = ring(new_key(), tmp_path=tmp_path)
    blob = keys.encrypt_bytes(b"password", aad=b"target:1")
    assert keys.decrypt_bytes(blob, aad=b"target:1") == b"password"
    with pytest.raises(DecryptionError):
        keys.decrypt_bytes(blob, aad=b"target:2")
