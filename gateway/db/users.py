"""Users: creation with a normalised email, and lookups.

On PostgreSQL a tenant session sees its organization's members only, and a user session
that user: creating a user, or finding one by email at sign-in, runs in a `system_session`.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from gateway.db.models import User

EMAIL_MAX_LENGTH = 320


def normalize_email(email: str) -> str:
    """`email` trimmed and lowercased; ValueError when it is not shaped like an address."""
    clean = email.strip().lower()
    local, at, domain = clean.rpartition("@")
    if not at or not local or "." not in domain or len(clean) > EMAIL_MAX_LENGTH or " " in clean:
        raise ValueError(f"not an email address: {email!r}")
    return clean


def create_user(
    session: Session,
    *,
    email: str,
    password_hash: str | None = None,
    github_id: int | None = None,
    display_name: str = "",
) -> User:
    """Add a user and flush it. `password_hash` is already argon2-hashed by the caller.

    Raises ValueError for a malformed or already registered email.
    """
    address = normalize_email(email)
    if get_user_by_email(session, email=address) is not None:
        raise ValueError(f"a user with the email {address!r} already exists")
    user = User(
        email=address,
        password_hash=password_hash,
        github_id=github_id,
        display_name=display_name.strip(),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, user_id: uuid.UUID) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_user_by_email(session: Session, *, email: str) -> User | None:
    """The user with this email (compared lowercased), or None."""
    statement = select(User).where(User.email == email.strip().lower())
    return session.exec(statement).first()
