"""Passwords: argon2id hashes, verification, and checks that cost the same for anyone."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters

from gateway.auth import passwords
from gateway.auth.passwords import (
    WeakPasswordError,
    hash_password,
    needs_rehash,
    validate_new_password,
    verify_password,
)


def test_a_hash_is_argon2id_salted_and_verifies_only_its_password() -> None:
    first, second = hash_password("open sesame 123"), hash_password("open sesame 123")

    assert first.startswith("$argon2id$")
    assert first != second  # a random salt each time
    assert verify_password(first, "open sesame 123")
    assert not verify_password(first, "open sesame 124")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash"])
def test_missing_or_broken_hashes_never_verify(stored: str | None) -> None:
    assert verify_password(stored, "anything at all") is False


def test_unknown_users_are_checked_against_a_hash_as_costly_as_a_real_one() -> None:
    """The dummy hash has the real hashes' parameters, so a miss costs a full verification."""
    real = extract_parameters(hash_password("some password here"))
    dummy = extract_parameters(passwords._DUMMY_HASH)

    assert dummy == real


def test_weaker_old_hashes_are_flagged_for_an_upgrade() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("pw pw pw pw")

    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("pw pw pw pw"))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10"),
        (" " * 12, "only spaces"),
        ("x" * 257, "at most 256"),
    ],
)
def test_new_passwords_must_be_long_enough(password: str, message: str) -> None:
    with pytest.raises(WeakPasswordError, match=message):
        validate_new_password(password)


def test_a_long_passphrase_is_accepted() -> None:
    assert validate_new_password("correct horse battery staple") == "correct horse battery staple"
