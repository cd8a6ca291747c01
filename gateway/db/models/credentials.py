"""What lets a tenant in and out: its RouterAI API keys and its own provider keys (BYOK)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.db.enums import KeyEnvironment
from gateway.db.models.base import new_id, utcnow
from gateway.db.models.types import StrEnumType, UTCDateTime, enum_check


class ApiKeyPublic(SQLModel):
    """An API key as the dashboard may show it: everything but its hash."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    environment: KeyEnvironment
    prefix: str
    created_by: uuid.UUID | None = None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None


class ApiKey(SQLModel, table=True):
    """A RouterAI key `gw_<slug>_<env>_<secret>`, stored only as its SHA-256 hex hash."""

    __tablename__ = "api_keys"
    __table_args__ = (enum_check("environment", KeyEnvironment),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE", index=True)
    name: str = Field(sa_type=sa.String(100))
    environment: KeyEnvironment = Field(sa_type=StrEnumType(KeyEnvironment))
    prefix: str = Field(sa_type=sa.String(64))
    key_hash: str = Field(sa_type=sa.String(64), unique=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    rpm_limit: int | None = None
    tpm_limit: int | None = None

    @property
    def is_active(self) -> bool:
        """False once the key was revoked."""
        return self.revoked_at is None


class ProviderCredential(SQLModel, table=True):
    """A tenant's own key for one upstream provider, encrypted at rest by the caller."""

    __tablename__ = "provider_credentials"
    __table_args__ = (sa.UniqueConstraint("org_id", "provider"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    provider: str = Field(sa_type=sa.String(32))
    encrypted_secret: bytes = Field(sa_type=sa.LargeBinary())
    last_four: str = Field(sa_type=sa.String(4))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime(), sa_column_kwargs={"onupdate": utcnow}
    )
