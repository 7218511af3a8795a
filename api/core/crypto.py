"""Secrets at rest: AES-GCM with a key ring (newest key encrypts, every key decrypts)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


class DecryptionError(Exception):
    """The ciphertext was not made by any key of the ring (or was altered)."""


class KeyRing:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._keys = {self.key_id(k): AESGCM(k) for k in keys}
        self._current = self.key_id(keys[0])

    @staticmethod
    def key_id(key: bytes) -> str:
        return hashlib.sha256(key).hexdigest()[:8]

    def encrypt_bytes(self, data: bytes, *, aad: bytes = b"") -> bytes:
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, data, aad)
        return f"{_VERSION}.{self._current}.".encode() + nonce + sealed

    def decrypt_bytes(self, blob: bytes, *, aad: bytes = b"") -> bytes:
        try:
            version, key_id, rest = blob.split(b".", 2)
        except ValueError as exc:
            raise DecryptionError("not an encrypted blob") from exc
        aes = self._keys.get(key_id.decode(errors="replace"))
        if version.decode(errors="replace") != _VERSION or aes is None:
            raise DecryptionError("unknown key")
        try:
            return aes.decrypt(rest[:12], rest[12:], aad)
        except InvalidTag as exc:
            raise DecryptionError("authentication failed") from exc

    def encrypt(self, plaintext: str) -> str:
        return base64.urlsafe_b64encode(self.encrypt_bytes(plaintext.encode())).decode()

    def decrypt(self, token: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(token.encode())
        except ValueError as exc:
            raise DecryptionError("not base64") from exc
        return self.decrypt_bytes(raw).decode()

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))
