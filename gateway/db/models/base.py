"""What every table shares: the metadata's naming convention and the clock.

The naming convention gives every index and constraint a predictable name, so
migrations can refer to them and SQLite batch migrations can recreate them.
It is set on SQLModel's shared metadata before any table is declared.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only kind of datetime stored)."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A fresh random primary key for an entity row."""
    return uuid.uuid4()
