"""People: users (own auth) and their memberships in organizations."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.db.enums import MemberRole
from gateway.db.models.base import new_id, utcnow
from gateway.db.models.types import StrEnumType, UTCDateTime, enum_check


class User(SQLModel, table=True):
    """A person who signs in to the dashboard. Not row-level secured: sign-in finds it by email.

    `email` is stored lowercased (a CHECK enforces it); `password_hash` is an
    argon2 hash, or None for users who only sign in through GitHub.
    """

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(sa_type=sa.String(320), unique=True)
    password_hash: str | None = Field(default=None, sa_type=sa.String(255))
    github_id: int | None = Field(default=None, sa_type=sa.BigInteger(), unique=True)
    display_name: str = Field(default="", sa_type=sa.String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class OrgMember(SQLModel, table=True):
    """A user's role in one organization (tenant-owned)."""

    __tablename__ = "org_members"
    __table_args__ = (sa.UniqueConstraint("org_id", "user_id"), enum_check("role", MemberRole))

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    role: MemberRole = Field(default=MemberRole.MEMBER, sa_type=StrEnumType(MemberRole))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class Invitation(SQLModel, table=True):
    """A single-use, expiring invitation to join an organization with a role.

    Only the SHA-256 of the link's token is stored; the link itself is shown once to
    the member who invites. `accepted_at` and `revoked_at` make it single-use.
    """

    __tablename__ = "invitations"
    __table_args__ = (enum_check("role", MemberRole),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    org_id: uuid.UUID = Field(foreign_key="organizations.id", ondelete="CASCADE", index=True)
    email: str = Field(sa_type=sa.String(320))
    role: MemberRole = Field(default=MemberRole.MEMBER, sa_type=StrEnumType(MemberRole))
    token_hash: str = Field(sa_type=sa.String(64), unique=True)
    invited_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    expires_at: datetime = Field(sa_type=UTCDateTime())
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
