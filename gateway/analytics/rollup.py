"""The daily roll-up: request_logs → usage_daily, one row per organization and UTC day.

A roll-up recomputes each (organization, day) it is given from request_logs and writes the
full totals (an upsert on the org + day key), never an increment: running it twice, or again
after a crash half-way, leaves the same rows. Which pairs to recompute comes from the dirty
list ingestion keeps (`gateway.analytics.dirty`), so a run costs what changed, not the
table's size. Each organization is read and written in its own tenant-scoped transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from gateway.analytics.dirty import OrgDay, clear_dirty, dirty_snapshot
from gateway.analytics.retention import plan_cutoff
from gateway.analytics.sql import upsert_insert
from gateway.analytics.totals import DayTotals, Group, fold_by_day
from gateway.db.enums import CacheStatus
from gateway.db.models import Organization, RequestLog, UsageDaily
from gateway.db.models.types import micro_sum
from gateway.db.sessions import system_session, tenant_session

CACHE_HITS = (CacheStatus.EXACT.value, CacheStatus.SEMANTIC.value)
DEFAULT_MAX_PAIRS = 20_000


@dataclass(frozen=True, slots=True)
class RollupResult:
    """What one run did: pairs recomputed, usage_daily rows written, organizations touched."""

    pairs: int = 0
    rows: int = 0
    org_ids: tuple[uuid.UUID, ...] = field(default=())


def rollup_dirty(
    engine: Engine, client: redis.Redis, *, now: datetime, max_pairs: int = DEFAULT_MAX_PAIRS
) -> RollupResult:
    """Recompute the pairs on the dirty list (up to `max_pairs`), then take them off it.

    Days before an organization's retention cutoff are not recomputed: their logs may be
    partly deleted, and their usage_daily rows are the record that stays.
    """
    snapshot = dirty_snapshot(client, limit=max_pairs)
    by_org: dict[uuid.UUID, list[date]] = defaultdict(list)
    for pair in snapshot:
        by_org[pair.org_id].append(pair.day)
    plans = _plans(engine, by_org)
    rows = 0
    touched = []
    for org_id, days in sorted(by_org.items()):
        if org_id not in plans:  # deleted since: its rows went with it
            continue
        cutoff = plan_cutoff(plans[org_id], now).date()
        kept = [day for day in days if day >= cutoff]
        if kept:
            rows += rollup_days(engine, org_id=org_id, days=kept, now=now)
            touched.append(org_id)
    clear_dirty(client, snapshot)
    return RollupResult(len(snapshot), rows, tuple(touched))


def rollup_days(engine: Engine, *, org_id: uuid.UUID, days: Iterable[date], now: datetime) -> int:
    """Recompute the organization's usage_daily rows for `days`; returns rows written."""
    with tenant_session(engine, org_id) as session:
        totals: dict[date, DayTotals] = {}
        for first, last in _runs(sorted(set(days))):
            totals.update(fold_by_day(day_groups(session, org_id=org_id, first=first, last=last)))
        _upsert(session, org_id, totals, now)
    return len(totals)


def day_groups(session: Session, *, org_id: uuid.UUID, first: date, last: date) -> list[Group]:
    """request_logs of the organization's days `first`..`last`, per (day, provider, model)."""
    dialect = session.get_bind().dialect.name
    day = _utc_day(dialect)
    errors = col(RequestLog.status_code) >= 400
    statement = (
        sa.select(  # type: ignore[call-overload]
            day,
            RequestLog.provider,
            RequestLog.model_used,
            func.count(),
            func.sum(RequestLog.prompt_tokens),
            func.sum(RequestLog.completion_tokens),
            func.sum(RequestLog.total_tokens),
            micro_sum(RequestLog.__table__.c.cost, dialect),  # type: ignore[attr-defined]
            micro_sum(RequestLog.__table__.c.baseline_cost, dialect),  # type: ignore[attr-defined]
            _count_if(col(RequestLog.cache_status).in_(CACHE_HITS)),
            _count_if(sa.and_(col(RequestLog.cache_status) == CacheStatus.MISS, sa.not_(errors))),
            _count_if(errors),
        )
        .where(
            RequestLog.org_id == org_id,
            col(RequestLog.created_at) >= _midnight(first),
            col(RequestLog.created_at) < _midnight(last + timedelta(days=1)),
        )
        .group_by(day, RequestLog.provider, RequestLog.model_used)
    )
    return [
        Group(_as_date(row[0]), row[1], row[2], *(int(value or 0) for value in row[3:]))
        for row in session.execute(statement)
    ]


def _upsert(
    session: Session, org_id: uuid.UUID, totals: dict[date, DayTotals], now: datetime
) -> None:
    if not totals:
        return
    rows = [
        {
            "org_id": org_id,
            "day": day,
            **total.counts(),
            "by_provider": total.by_provider,
            "by_model": total.by_model,
            "updated_at": now,
        }
        for day, total in sorted(totals.items())
    ]
    insert = upsert_insert(session)
    statement = insert(UsageDaily).values(rows)
    replaced = {name: statement.excluded[name] for name in rows[0] if name not in ("org_id", "day")}
    session.execute(
        statement.on_conflict_do_update(index_elements=["org_id", "day"], set_=replaced)
    )


def _plans(engine: Engine, org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(org_ids)
    if not ids:
        return {}
    with system_session(engine) as session:
        statement = select(Organization.id, Organization.plan).where(col(Organization.id).in_(ids))
        return {org_id: plan for org_id, plan in session.exec(statement)}


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs: one range query each."""
    if not days:
        return
    first = last = days[0]
    for day in days[1:]:
        if day != last + timedelta(days=1):
            yield first, last
            first = day
        last = day
    yield first, last


def _utc_day(dialect: str) -> Any:
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", RequestLog.created_at))
    return func.date(RequestLog.created_at)  # SQLite keeps UTC text: "2026-11-26 10:00:00…"


def _count_if(condition: Any) -> Any:
    return func.sum(sa.case((condition, 1), else_=0))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def pairs_for(org_ids: Iterable[uuid.UUID], days: Iterable[date]) -> list[OrgDay]:
    """Every (organization, day) pair of the given organizations and days."""
    day_list = list(days)
    return [OrgDay(org_id, day) for org_id in org_ids for day in day_list]
