"""The monthly budget reset, at each organization's own reset time.

Budget counters in Redis are keyed by the budget period's id, so a new period starts from
zero by construction and nothing in Redis has to be cleared (the old period's counters
expire a grace week after its end). What does move is the organization's `budget_reset_at`,
the next reset the dashboard shows: once it has passed, it advances to the reset after `now`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from gateway.db.models import Organization
from gateway.db.orgs import next_budget_reset
from gateway.db.sessions import system_session


def advance_budget_resets(engine: Engine, *, now: datetime) -> list[uuid.UUID]:
    """Move every passed `budget_reset_at` to the organization's next reset; returns their ids."""
    with system_session(engine) as session:
        due = session.exec(
            select(Organization)
            .where(col(Organization.budget_reset_at) <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for org in due:
            org.budget_reset_at = next_budget_reset(now, org.budget_reset_day)
            org.updated_at = now
            session.add(org)
    return [org.id for org in due]
