"""Password hashing with argon2id, and checks that take as long for an unknown account.

`verify_password(None, password)` runs a full verification against a fixed dummy hash,
so signing in as a user who does not exist (or who only signs in through GitHub) costs
the same time as a wrong password for one who does: the timing tells nothing.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

# OWASP's argon2id baseline: 19 MiB of memory, 2 iterations, 1 lane.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _HASHER.hash("routerai-dummy-password-for-constant-time-checks")


class WeakPasswordError(ValueError):
    """The password does not meet the length rules; the message says which."""


def validate_new_password(password: str) -> str:
    """`password` unchanged when it is acceptable; WeakPasswordError otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    if not password.strip():
        raise WeakPasswordError("A password cannot be only spaces.")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (with its own random salt) to store."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`; None verifies against a dummy hash."""
    try:
        matched = _HASHER.verify(stored_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matched and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)
