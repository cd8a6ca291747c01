"""Tenants' provider keys in `provider_credentials`: add, replace, remove, list, read.

Keyword-only functions taking the session, to be run inside `tenant_session(engine, org_id)`
(row-level security on PostgreSQL); each also filters on `org_id` itself, for SQLite. Only
ciphertext and the last four characters are stored. Validation and the provider's verdict on
the key happen before (see `service.CredentialService`); these functions trust their input.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from gateway.credentials.crypto import SecretBox
from gateway.credentials.secret import ProviderSecret, last_four, masked
from gateway.db.models import ProviderCredential, utcnow


class CredentialExists(ValueError):
    """The organization already has a key for this provider: replace it instead."""


class CredentialNotFound(LookupError):
    """The organization has no key for this provider."""


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """A stored key as the dashboard may show it: never the key itself."""

    provider: str
    last_four: str
    created_at: datetime
    updated_at: datetime

    @property
    def masked(self) -> str:
        return masked(self.provider, self.last_four)


def add_credential(
    session: Session, *, box: SecretBox, org_id: uuid.UUID, provider: str, secret: str
) -> CredentialInfo:
    """Store a new key; CredentialExists if the organization has one for `provider`."""
    if _find(session, org_id, provider) is not None:
        raise CredentialExists(f"a {provider} key is already stored; replace it instead")
    now = utcnow()
    row = ProviderCredential(
        org_id=org_id,
        provider=provider,
        encrypted_secret=box.encrypt(str(org_id), provider, secret),
        last_four=last_four(secret),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _info(row)


def replace_credential(
    session: Session, *, box: SecretBox, org_id: uuid.UUID, provider: str, secret: str
) -> CredentialInfo:
    """Swap the stored key for a new one; CredentialNotFound if there is none."""
    row = _find(session, org_id, provider)
    if row is None:
        raise CredentialNotFound(f"no {provider} key is stored")
    row.encrypted_secret = box.encrypt(str(org_id), provider, secret)
    row.last_four = last_four(secret)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return _info(row)


def remove_credential(session: Session, *, org_id: uuid.UUID, provider: str) -> bool:
    """Delete the key for `provider`; False if there was none."""
    row = _find(session, org_id, provider)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def list_credentials(session: Session, *, org_id: uuid.UUID) -> list[CredentialInfo]:
    """The organization's stored keys, masked, by provider name."""
    statement = (
        select(ProviderCredential)
        .where(ProviderCredential.org_id == org_id)
        .order_by(col(ProviderCredential.provider))
    )
    return [_info(row) for row in session.exec(statement).all()]


def read_secret(
    session: Session, *, box: SecretBox, org_id: uuid.UUID, provider: str
) -> ProviderSecret | None:
    """The decrypted key for `provider`, or None; CredentialDecryptError if it is corrupt."""
    row = _find(session, org_id, provider)
    if row is None:
        return None
    return ProviderSecret(provider, box.decrypt(str(org_id), provider, row.encrypted_secret))


def _find(session: Session, org_id: uuid.UUID, provider: str) -> ProviderCredential | None:
    statement = select(ProviderCredential).where(
        ProviderCredential.org_id == org_id, ProviderCredential.provider == provider
    )
    return session.exec(statement).first()


def _info(row: ProviderCredential) -> CredentialInfo:
    return CredentialInfo(row.provider, row.last_four, row.created_at, row.updated_at)
