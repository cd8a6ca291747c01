"""Encryption at rest: round trip, binding to org and provider, tampering, key derivation."""

from __future__ import annotations

import hashlib
import hmac
import pickle

import pytest

from gateway.credentials.crypto import (
    KEY_INFO,
    NONCE_BYTES,
    CredentialDecryptError,
    SecretBox,
    derive_key,
)
from gateway.credentials.secret import ProviderSecret

SECRET_KEY = "k" * 32
ORG_A, ORG_B = "7d1c0a52-1111-4000-8000-00000000000a", "7d1c0a52-2222-4000-8000-00000000000b"
KEY = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789WXYZ"


@pytest.fixture
def box() -> SecretBox:
    return SecretBox.from_secret_key(SECRET_KEY)


def test_round_trip(box: SecretBox) -> None:
    stored = box.encrypt(ORG_A, "openai", KEY)
    assert box.decrypt(ORG_A, "openai", stored) == KEY


def test_the_ciphertext_holds_no_plaintext(box: SecretBox) -> None:
    stored = box.encrypt(ORG_A, "openai", KEY)
    for piece in (KEY, KEY[:12], KEY[-8:]):
        assert piece.encode() not in stored
    assert len(stored) == 1 + NONCE_BYTES + len(KEY) + 16


def test_each_encryption_uses_a_fresh_nonce(box: SecretBox) -> None:
    assert box.encrypt(ORG_A, "openai", KEY) != box.encrypt(ORG_A, "openai", KEY)


def test_another_org_cannot_decrypt(box: SecretBox) -> None:
    stored = box.encrypt(ORG_A, "openai", KEY)
    with pytest.raises(CredentialDecryptError):
        box.decrypt(ORG_B, "openai", stored)


def test_another_provider_cannot_decrypt(box: SecretBox) -> None:
    stored = box.encrypt(ORG_A, "openai", KEY)
    with pytest.raises(CredentialDecryptError):
        box.decrypt(ORG_A, "groq", stored)


@pytest.mark.parametrize("position", [1, 1 + NONCE_BYTES, 1 + NONCE_BYTES + 5, -1])
def test_tampering_fails(box: SecretBox, position: int) -> None:
    stored = bytearray(box.encrypt(ORG_A, "openai", KEY))
    stored[position] ^= 0x01
    with pytest.raises(CredentialDecryptError):
        box.decrypt(ORG_A, "openai", bytes(stored))


@pytest.mark.parametrize("stored", [b"", b"\x01" + b"\x00" * 10, b"\x02" + b"\x00" * 64])
def test_truncated_or_unknown_formats_fail(box: SecretBox, stored: bytes) -> None:
    with pytest.raises(CredentialDecryptError):
        box.decrypt(ORG_A, "openai", stored)


def test_another_secret_key_cannot_decrypt(box: SecretBox) -> None:
    stored = box.encrypt(ORG_A, "openai", KEY)
    with pytest.raises(CredentialDecryptError):
        SecretBox.from_secret_key("z" * 32).decrypt(ORG_A, "openai", stored)


def test_the_key_derivation_is_stable_hkdf_sha256() -> None:
    """RFC 5869 by hand: a change to the derivation would orphan every stored credential."""
    prk = hmac.new(b"\x00" * 32, SECRET_KEY.encode(), hashlib.sha256).digest()
    okm = hmac.new(prk, KEY_INFO + b"\x01", hashlib.sha256).digest()
    assert derive_key(SECRET_KEY) == okm
    assert okm.hex() == "f45ae270256dd944dfdf197908a314023930fe44c17460e4f32ea4d9823da869"
    assert (
        SecretBox(derive_key(SECRET_KEY)).decrypt(
            ORG_A, "openai", SecretBox.from_secret_key(SECRET_KEY).encrypt(ORG_A, "openai", KEY)
        )
        == KEY
    )


def test_nothing_prints_a_key(box: SecretBox) -> None:
    secret = ProviderSecret("openai", KEY)
    for text in (repr(secret), str(secret), f"{secret}", repr([secret]), repr(box)):
        assert KEY not in text and KEY[:-4] not in text
    assert repr(secret) == "ProviderSecret('openai …WXYZ')"
    assert secret.reveal() == KEY
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(ValueError):
        SecretBox(b"short")
