"""Invoice pseudonyms survive key rotation: they use a dedicated stable key
(HITFLOW_PSEUDONYM_KEY, by default the oldest secret key), not the encryption ring."""

from __future__ import annotations

import base64
import secrets

import pytest

from api.privacy.purge import pseudonym
from api.settings import SettingsError, load_settings


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def test_pseudonyms_survive_rotating_and_retiring_keys(tmp_path) -> None:
    old, new = _key(), _key()
    base = {"data_dir": tmp_path}
    before = pseudonym(load_settings(**base, secret_keys=[old]), "Ada@Example.test")
    # a new key is added in front: same pseudonym
    rotated = load_settings(**base, secret_keys=[new, old])
    assert pseudonym(rotated, "ada@example.test") == before
    # the old key is retired once HITFLOW_PSEUDONYM_KEY keeps it: still the same
    retired = load_settings(**base, secret_keys=[new], pseudonym_key=old)
    assert pseudonym(retired, "ada@example.test") == before
    # and a dedicated key set from the start never depends on the ring at all
    dedicated = _key()
    first = pseudonym(load_settings(**base, secret_keys=[old], pseudonym_key=dedicated), "x@y.z")
    later = pseudonym(load_settings(**base, secret_keys=[new], pseudonym_key=dedicated), "x@y.z")
    assert first == later


def test_a_malformed_pseudonym_key_is_refused(tmp_path) -> None:
    with pytest.raises(SettingsError):
        load_settings(data_dir=tmp_path, pseudonym_key="too-short")
