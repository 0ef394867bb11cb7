"""Field-level encryption at rest (F6): AES-256-GCM with a key kept outside the database."""

from __future__ import annotations

import base64
import os
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from engine import LawfulError

MARK = "$enc"
VERSION = "v1"


def derive_key(secret: bytes, purpose: bytes) -> bytes:
    """Derive a 32-byte key for one purpose from the installation's secret (HKDF-SHA256, `purpose` as info).

    Each use of the secret gets its own key, so no two uses ever share one.
    """
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


class FieldCipher:
    """Encrypt one field value of one record; the ciphertext is bound to that record and field."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive_key(secret, b"lawful field encryption v1"))

    def encrypt(self, value: Any, record_id: str, field: str) -> dict[str, str]:
        """Return the stored form of a value: {"$enc": "v1:<base64 nonce and ciphertext>"}."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, msgspec.json.encode(value), f"{record_id}\0{field}".encode())
        return {MARK: f"{VERSION}:{base64.b64encode(nonce + sealed).decode()}"}

    def decrypt(self, stored: dict[str, str], record_id: str, field: str) -> Any:
        """Return the value that was encrypted; a wrong key or a moved ciphertext is an error."""
        version, _, body = stored[MARK].partition(":")
        raw = base64.b64decode(body)
        try:
            plain = self._aead.decrypt(raw[:12], raw[12:], f"{record_id}\0{field}".encode())
        except InvalidTag:
            raise LawfulError(
                "crypto.cannot_decrypt",
                f"field {field} of record {record_id} cannot be decrypted with this installation's key",
            ) from None
        return msgspec.json.decode(plain)


def is_encrypted(value: Any) -> bool:
    """Tell whether a stored value is an encrypted one."""
    return isinstance(value, dict) and MARK in value
