"""What the dashboard reads: usage charts and totals from usage_daily, and budget alerts.

Never a scan of request_logs: a 30-day chart is 30 rows of one organization's usage_daily,
found through its (org_id, day) key. Each function takes a session scoped to the
organization (`tenant_session`) and filters on `org_id` too, for SQLite.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from gateway.analytics.totals import DayTotals
from gateway.db.models import BudgetAlert, UsageDaily


@dataclass(frozen=True, slots=True)
class DailyPoint:
    """One day of a usage chart; money in micro-USD."""

    day: date
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: int
    baseline_cost: int
    cache_hits: int
    cache_misses: int
    errors: int

    @property
    def saved(self) -> int:
        """Micro-USD saved against the baseline model."""
        return self.baseline_cost - self.cost


def daily_usage(
    session: Session, *, org_id: uuid.UUID, first: date, last: date
) -> list[DailyPoint]:
    """One point per day from `first` to `last` (inclusive), days without usage as zeros."""
    statement = (
        select(UsageDaily)
        .where(
            UsageDaily.org_id == org_id, col(UsageDaily.day) >= first, col(UsageDaily.day) <= last
        )
        .order_by(col(UsageDaily.day))
    )
    rows = {row.day: row for row in session.exec(statement)}
    return [_point(day, rows.get(day)) for day in _days(first, last)]


def usage_totals(session: Session, *, org_id: uuid.UUID, first: date, last: date) -> DayTotals:
    """The range's totals, with provider and model breakdowns merged across its days."""
    statement = select(UsageDaily).where(
        UsageDaily.org_id == org_id, col(UsageDaily.day) >= first, col(UsageDaily.day) <= last
    )
    totals = DayTotals()
    for row in session.exec(statement):
        totals.add(_totals(row))
    return totals


def recent_budget_alerts(
    session: Session, *, org_id: uuid.UUID, limit: int = 20
) -> list[BudgetAlert]:
    """The organization's budget alerts, newest first."""
    statement = (
        select(BudgetAlert)
        .where(BudgetAlert.org_id == org_id)
        .order_by(col(BudgetAlert.created_at).desc(), col(BudgetAlert.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))


def period_budget_alerts(
    session: Session, *, org_id: uuid.UUID, period_id: str
) -> list[BudgetAlert]:
    """The alerts raised in one budget period (e.g. the current one, for a banner)."""
    statement = (
        select(BudgetAlert)
        .where(BudgetAlert.org_id == org_id, BudgetAlert.period == period_id)
        .order_by(col(BudgetAlert.kind), col(BudgetAlert.threshold))
    )
    return list(session.exec(statement))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _point(day: date, row: UsageDaily | None) -> DailyPoint:
    if row is None:
        return DailyPoint(day, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return DailyPoint(day, **_totals(row).counts())


def _totals(row: UsageDaily) -> DayTotals:
    return DayTotals(
        requests=row.requests,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        total_tokens=row.total_tokens,
        cost=row.cost,
        baseline_cost=row.baseline_cost,
        cache_hits=row.cache_hits,
        cache_misses=row.cache_misses,
        errors=row.errors,
        by_provider=dict(row.by_provider or {}),
        by_model=dict(row.by_model or {}),
    )
