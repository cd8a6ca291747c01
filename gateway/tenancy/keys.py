"""RouterAI API keys: `gw_<slug>_<env>_<secret>`, shown once, stored only as a SHA-256 hash.

The secret is 32 characters drawn by `secrets` from the 62 ASCII letters and
digits (about 190 bits), so it holds no underscore and a key splits into its
four parts unambiguously. A hash of such a secret needs no salt or slow hash:
nobody can guess the input.

How the gateway resolves a key (`resolve_api_key` does exactly this): parse
the slug out of the key → the organization by slug (a system session, since
organizations are not tenant rows) → a tenant session for that organization →
the key by its hash, which row-level security confines to that organization.

The CRUD functions run in a `tenant_session` for the organization they touch.
After `revoke_api_key`, drop the key's cached tenant context
(`gateway.tenancy.resolver.invalidate`) so every replica stops accepting it.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from gateway.db.enums import KeyEnvironment
from gateway.db.models import ApiKey, Organization, utcnow
from gateway.db.orgs import get_org_by_slug
from gateway.db.sessions import system_session, tenant_session
from gateway.db.slugs import is_valid_slug, validate_slug

KEY_SCHEME = "gw"
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 32
MIN_SECRET_LENGTH = 22  # 22 base-62 characters hold just over 128 bits
MAX_SECRET_LENGTH = 64
PREFIX_SECRET_CHARS = 4
KEY_NAME_MAX_LENGTH = 100
_SECRET_CHARS = frozenset(SECRET_ALPHABET)


class ParsedKey(NamedTuple):
    slug: str
    environment: KeyEnvironment
    secret: str


class ResolvedKey(NamedTuple):
    org: Organization
    key: ApiKey


class KeyNotFoundError(LookupError):
    """No such key in this organization (it may exist in another one; that is not said)."""


def generate_api_key(slug: str, environment: KeyEnvironment | str) -> tuple[str, str, str]:
    """A new key for the organization `slug`: (full key, display prefix, key hash)."""
    env = _validate_environment(environment)
    secret = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    full_key = f"{KEY_SCHEME}_{validate_slug(slug)}_{env.value}_{secret}"
    return full_key, display_prefix(full_key), hash_api_key(full_key)


def hash_api_key(full_key: str) -> str:
    """The hex SHA-256 of the full key: the only form in which a key is stored."""
    return hashlib.sha256(full_key.encode("utf-8")).hexdigest()


def display_prefix(full_key: str) -> str:
    """What the dashboard shows of a key: `gw_<slug>_<env>_` and 4 secret characters, then …"""
    head, _, secret = full_key.rpartition("_")
    return f"{head}_{secret[:PREFIX_SECRET_CHARS]}…"


def parse_api_key(full_key: str) -> ParsedKey | None:
    """The (slug, environment, secret) of a well-formed key, or None for anything else."""
    parts = full_key.split("_")
    if len(parts) != 4 or parts[0] != KEY_SCHEME:
        return None
    _, slug, env, secret = parts
    if not is_valid_slug(slug) or env not in KeyEnvironment.__members__.values():
        return None
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        return None
    if not _SECRET_CHARS.issuperset(secret):
        return None
    return ParsedKey(slug, KeyEnvironment(env), secret)


def create_api_key(
    session: Session,
    *,
    org: Organization,
    name: str,
    environment: KeyEnvironment | str,
    created_by: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """Add a key to `org` and flush: (the row, the full key). The full key is never stored.

    Raises ValueError for an empty or too long name or an unknown environment.
    """
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > KEY_NAME_MAX_LENGTH:
        raise ValueError(f"a key needs a name of 1 to {KEY_NAME_MAX_LENGTH} characters")
    env = _validate_environment(environment)
    full_key, prefix, key_hash = generate_api_key(org.slug, env)
    key = ApiKey(
        org_id=org.id,
        name=clean_name,
        environment=env,
        prefix=prefix,
        key_hash=key_hash,
        created_by=created_by,
    )
    session.add(key)
    session.flush()
    return key, full_key


def list_api_keys(
    session: Session, *, org_id: uuid.UUID, include_revoked: bool = True
) -> list[ApiKey]:
    """The organization's keys, newest first."""
    statement = select(ApiKey).where(ApiKey.org_id == org_id)
    if not include_revoked:
        statement = statement.where(col(ApiKey.revoked_at).is_(None))
    statement = statement.order_by(col(ApiKey.created_at).desc(), col(ApiKey.id))
    return list(session.exec(statement).all())


def revoke_api_key(
    session: Session, *, org_id: uuid.UUID, key_id: uuid.UUID, now: datetime | None = None
) -> ApiKey:
    """Revoke the organization's key `key_id` (idempotent) and flush; returns the row.

    Raises KeyNotFoundError when no such key belongs to `org_id`, including
    when `key_id` is another organization's key.
    """
    statement = select(ApiKey).where(ApiKey.id == key_id, ApiKey.org_id == org_id)
    key = session.exec(statement).first()
    if key is None:
        raise KeyNotFoundError(f"no API key {key_id} in this organization")
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
        session.add(key)
        session.flush()
    return key


def find_api_key_by_hash(session: Session, *, key_hash: str) -> ApiKey | None:
    """The key with this hash, revoked or not, or None (in a tenant session on PostgreSQL)."""
    return session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def resolve_api_key(engine: Engine, *, full_key: str) -> ResolvedKey | None:
    """The organization and active key a presented key belongs to, or None.

    None for a malformed key, an unknown slug or hash, a revoked key, and a
    key whose stored organization is not the one its slug names.
    """
    parsed = parse_api_key(full_key)
    if parsed is None:
        return None
    with system_session(engine) as session:
        org = get_org_by_slug(session, slug=parsed.slug)
    if org is None:
        return None
    with tenant_session(engine, org.id) as session:
        key = find_api_key_by_hash(session, key_hash=hash_api_key(full_key))
    if key is None or key.org_id != org.id or key.environment != parsed.environment:
        return None
    if key.revoked_at is not None:
        return None
    return ResolvedKey(org, key)


def _validate_environment(environment: KeyEnvironment | str) -> KeyEnvironment:
    try:
        return KeyEnvironment(environment)
    except ValueError:
        known = ", ".join(e.value for e in KeyEnvironment)
        raise ValueError(f"unknown key environment {environment!r}; expected {known}") from None
