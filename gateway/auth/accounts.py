"""Accounts: sign-up, password sign-in, GitHub users, and new organizations. Synchronous.

A sign-up is checked and its password hashed first (`prepare_sign_up`); the account is
created once its address is confirmed (`gateway.auth.signups`). Creating it is one
transaction: the user, the organization, the owner's membership and the
first API key exist together or not at all (the session is scoped to the new
organization half-way, as `scope_session` describes). The first key's full value is
returned once and never stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from gateway.auth.passwords import (
    hash_password,
    needs_rehash,
    validate_new_password,
    verify_password,
)
from gateway.auth.signups import SignUpRequest
from gateway.db.enums import KeyEnvironment, MemberRole
from gateway.db.members import add_member
from gateway.db.models import User
from gateway.db.orgs import clean_org_name, create_organization
from gateway.db.sessions import scope_session, system_session, user_session
from gateway.db.users import create_user, get_user, get_user_by_email, normalize_email
from gateway.tenancy.keys import create_api_key

FIRST_KEY_NAME = "Default key"
FIRST_KEY_ENVIRONMENT = KeyEnvironment.PROD


class SignUpError(ValueError):
    """The sign-up cannot go ahead; `field` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class GitHubAccountConflict(LookupError):
    """A password account already uses the GitHub account's email; it is not linked silently."""


@dataclass(frozen=True, slots=True)
class NewOrganization:
    """What sign-up or onboarding created: the organization, and its first key (shown once)."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    org_slug: str
    key_id: uuid.UUID
    api_key: str


@dataclass(frozen=True, slots=True)
class Profile:
    """What the web app shows of the signed-in user."""

    user_id: uuid.UUID
    email: str
    display_name: str


def prepare_sign_up(*, email: str, password: str, org_name: str) -> SignUpRequest:
    """The sign-up form checked, with the password hashed; SignUpError naming the field."""
    address = _valid_email(email)
    validate_password_field(password)
    try:
        name = clean_org_name(org_name)
    except ValueError as exc:
        raise SignUpError("org_name", _sentence(str(exc))) from None
    return SignUpRequest(address, hash_password(password), name)


def email_registered(engine: Engine, address: str) -> bool:
    with system_session(engine) as session:
        return get_user_by_email(session, email=address) is not None


def create_account(engine: Engine, request: SignUpRequest) -> NewOrganization:
    """Create the user, who owns a new organization with a first API key; SignUpError if not."""
    try:
        with system_session(engine) as session:
            if get_user_by_email(session, email=request.email) is not None:
                raise _email_taken()
            user = create_user(session, email=request.email, password_hash=request.password_hash)
            return _create_owned_org(session, user.id, request.org_name)
    except IntegrityError:  # a concurrent sign-up took the email (or the slug) meanwhile
        if email_registered(engine, request.email):
            raise _email_taken() from None
        raise SignUpError("org_name", "That name was just taken; please try again.") from None


def sign_up(engine: Engine, *, email: str, password: str, org_name: str) -> NewOrganization:
    """An account created at once, without an emailed confirmation (seeding, tests)."""
    return create_account(
        engine, prepare_sign_up(email=email, password=password, org_name=org_name)
    )


def create_organization_for(
    engine: Engine, *, user_id: uuid.UUID, org_name: str
) -> NewOrganization:
    """A new organization owned by an existing user, with its first API key."""
    with system_session(engine) as session:
        if get_user(session, user_id=user_id) is None:
            raise LookupError("no such user")
        return _create_owned_org(session, user_id, org_name)


def authenticate(engine: Engine, *, email: str, password: str) -> uuid.UUID | None:
    """The user's id when the email and password match, else None.

    Costs one argon2 verification whatever happens (a dummy one for unknown emails and
    GitHub-only users), so neither the answer nor its timing tells whether the account
    exists. A hash made with weaker parameters is upgraded on success.
    """
    try:
        address: str | None = normalize_email(email)
    except ValueError:
        address = None
    with system_session(engine) as session:
        user = get_user_by_email(session, email=address) if address else None
        stored = user.password_hash if user is not None else None
        if user is None or not verify_password(stored, password):
            return None
        if stored is not None and needs_rehash(stored):
            user.password_hash = hash_password(password)
            session.add(user)
        return user.id


def github_user(
    engine: Engine, *, github_id: int, email: str, display_name: str
) -> tuple[uuid.UUID, bool]:
    """The user signed in through GitHub account `github_id`: (user id, newly created).

    `email` must be the GitHub account's verified primary address. A user already linked
    to the GitHub account is returned; a new address becomes a new (password-less) user.
    An address that already belongs to a password account raises GitHubAccountConflict:
    linking it silently would hand a password account to whoever registered it first.
    """
    address = normalize_email(email)
    with system_session(engine) as session:
        linked = session.exec(select(User).where(User.github_id == github_id)).first()
        if linked is not None:
            return linked.id, False
        if get_user_by_email(session, email=address) is not None:
            raise GitHubAccountConflict(address)
        user = create_user(
            session, email=address, github_id=github_id, display_name=display_name[:100]
        )
        return user.id, True


def profile(engine: Engine, user_id: uuid.UUID) -> Profile | None:
    """The user's email and display name, or None when the user is gone."""
    with user_session(engine, user_id) as session:
        user = get_user(session, user_id=user_id)
    if user is None:
        return None
    return Profile(user.id, user.email, user.display_name)


def validate_password_field(password: str) -> None:
    """SignUpError on the password field when the password is not acceptable."""
    try:
        validate_new_password(password)
    except ValueError as exc:
        raise SignUpError("password", str(exc)) from None


def _create_owned_org(session: Session, user_id: uuid.UUID, org_name: str) -> NewOrganization:
    try:
        org = create_organization(session, name=org_name)
    except ValueError as exc:
        raise SignUpError("org_name", _sentence(str(exc))) from None
    scope_session(session, org_id=org.id)
    add_member(session, org_id=org.id, user_id=user_id, role=MemberRole.OWNER)
    key, full_key = create_api_key(
        session,
        org=org,
        name=FIRST_KEY_NAME,
        environment=FIRST_KEY_ENVIRONMENT,
        created_by=user_id,
    )
    return NewOrganization(user_id, org.id, org.name, org.slug, key.id, full_key)


def _valid_email(email: str) -> str:
    try:
        return normalize_email(email)
    except ValueError:
        raise SignUpError("email", "Enter a valid email address.") from None


def _email_taken() -> SignUpError:
    return SignUpError("email", "An account with this email already exists. Log in instead.")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
