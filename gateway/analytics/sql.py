"""The few SQL constructs that differ between PostgreSQL and SQLite, chosen per session."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def upsert_insert(session: Session) -> Any:
    """The dialect's `insert` (it has ON CONFLICT: `on_conflict_do_nothing/do_update`)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
