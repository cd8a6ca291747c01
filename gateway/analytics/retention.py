"""Request-log retention: rows older than the organization's plan allows are deleted.

The cutoff is a UTC midnight, so retention never leaves a day half-deleted: a day is either
whole in request_logs or gone from it (its usage_daily row stays, and the roll-up never
recomputes a day before the cutoff). Deletion goes in bounded batches, each its own
transaction, so a big backlog never holds a long lock or a long transaction.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import col, select

from gateway.billing.plans import PlanName, get_plan
from gateway.db.models import Organization, RequestLog
from gateway.db.sessions import system_session, tenant_session

DEFAULT_BATCH_SIZE = 5000


def retention_cutoff(now: datetime, days: int) -> datetime:
    """The UTC midnight `days` days before `now`'s day: rows created before it have expired."""
    start = now.astimezone(UTC).date() - timedelta(days=days)
    return datetime.combine(start, time(), UTC)


def plan_cutoff(plan: PlanName | str, now: datetime) -> datetime:
    """`retention_cutoff` for the plan's log retention."""
    return retention_cutoff(now, get_plan(plan).log_retention_days)


def purge_expired_logs(
    engine: Engine,
    *,
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
) -> int:
    """Delete every organization's expired request_logs rows; returns how many went.

    `max_batches` bounds the work of one run (per organization); the next run goes on.
    """
    with system_session(engine) as session:
        orgs = session.exec(select(Organization.id, Organization.plan)).all()
    return sum(
        purge_org_logs(
            engine,
            org_id=org_id,
            cutoff=plan_cutoff(plan, now),
            batch_size=batch_size,
            max_batches=max_batches,
        )
        for org_id, plan in orgs
    )


def purge_org_logs(
    engine: Engine,
    *,
    org_id: uuid.UUID,
    cutoff: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
) -> int:
    """Delete the organization's rows created before `cutoff`, `batch_size` per transaction."""
    deleted = batches = 0
    while max_batches is None or batches < max_batches:
        expired = (
            select(RequestLog.id)
            .where(RequestLog.org_id == org_id, col(RequestLog.created_at) < cutoff)
            .limit(batch_size)
        )
        with tenant_session(engine, org_id) as session:
            result = session.execute(delete(RequestLog).where(col(RequestLog.id).in_(expired)))
        count = int(getattr(result, "rowcount", 0) or 0)
        deleted += count
        batches += 1
        if count < batch_size:
            break
    return deleted
