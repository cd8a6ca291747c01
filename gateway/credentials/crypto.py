"""Encryption at rest of tenants' provider keys: AES-256-GCM under a key derived from settings.

    data key   = HKDF-SHA256(secret_key, salt=none, info=KEY_INFO, 32 bytes)
    associated = "routerai/provider-credential/v1|<org_id>|<provider>"
    stored     = VERSION (1 byte) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes)

The derivation is deterministic (a fixed info string, no salt), so every process and every
restart derives the same data key from `ROUTERAI_SECRET_KEY`. The organization id and the
provider are bound as associated data: a ciphertext copied to another organization's row, or
to another provider's row, fails authentication instead of decrypting. The version byte leaves
room for a later key rotation (a new version with a new info string) without a migration.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_INFO = b"routerai/provider-credentials/aes-256-gcm/v1"
VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
_AAD_PREFIX = "routerai/provider-credential/v1"


class CredentialDecryptError(ValueError):
    """A stored credential did not authenticate: tampered, moved, or under another key."""


def derive_key(secret_key: str) -> bytes:
    """The 256-bit data key for provider credentials, derived from the app's secret key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO)
    return hkdf.derive(secret_key.encode("utf-8"))


def associated_data(org_id: str, provider: str) -> bytes:
    """What a ciphertext is bound to: its organization and its provider."""
    return f"{_AAD_PREFIX}|{org_id}|{provider}".encode()


class SecretBox:
    """Encrypts and decrypts provider keys for one organization and provider at a time."""

    __slots__ = ("_aead",)

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != 32:
            raise ValueError("the data key must be 32 bytes (use derive_key)")
        self._aead = AESGCM(data_key)

    @classmethod
    def from_secret_key(cls, secret_key: str) -> SecretBox:
        """The box for `settings.secret_key.get_secret_value()`."""
        return cls(derive_key(secret_key))

    def encrypt(self, org_id: str, provider: str, secret: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, secret.encode("utf-8"), associated_data(org_id, provider)
        )
        return bytes([VERSION]) + nonce + sealed

    def decrypt(self, org_id: str, provider: str, stored: bytes) -> str:
        """The key in clear; CredentialDecryptError if `stored` does not authenticate."""
        if len(stored) < 1 + NONCE_BYTES + TAG_BYTES or stored[0] != VERSION:
            raise CredentialDecryptError("unknown or truncated credential format")
        nonce, sealed = stored[1 : 1 + NONCE_BYTES], stored[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, associated_data(org_id, provider))
        except InvalidTag:
            raise CredentialDecryptError("the credential did not authenticate") from None
        return plain.decode("utf-8")

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"
