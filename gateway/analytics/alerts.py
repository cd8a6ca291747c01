"""Budget alerts: at an organization's thresholds (by default 50, 80 and 100 %) of its budgets.

One budget_alerts row per (organization, period, kind, threshold), never two: the unique
key makes raising an alert idempotent, whoever raises it and however often. Spend is the
higher of the live Redis counters (settled spend, the figure admission enforces) and the
period's usage_daily totals (durable, for a Redis that lost its counters).

Rows are raised for every organization with a budget, so the dashboard always shows them;
they are delivered to the organization's notification webhook when it set one and its plan
includes budget alerts (`gateway.analytics.webhooks`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from gateway.analytics.sql import upsert_insert
from gateway.billing.plans import get_plan
from gateway.budget.period import Period, budget_period
from gateway.budget.redis_store import budget_key
from gateway.db.enums import BUDGET_ALERT_THRESHOLDS, BudgetKind
from gateway.db.models import BudgetAlert, Organization, UsageDaily
from gateway.db.sessions import system_session, tenant_session


@dataclass(frozen=True, slots=True)
class BudgetCaps:
    """An organization's monthly caps; None: no cap of that kind."""

    tokens: int | None
    usd_micro: int | None

    @classmethod
    def of(cls, org: Organization) -> BudgetCaps:
        """The caps admission enforces: the organization's own, else the plan's hard token cap."""
        plan = get_plan(org.plan)
        tokens = org.monthly_token_budget
        if tokens is None and plan.hard_cap:
            tokens = plan.included_tokens
        return cls(tokens, org.monthly_usd_budget)

    def get(self, kind: BudgetKind) -> int | None:
        return self.tokens if kind is BudgetKind.TOKENS else self.usd_micro


@dataclass(frozen=True, slots=True)
class Spend:
    tokens: int = 0
    usd_micro: int = 0

    def get(self, kind: BudgetKind) -> int:
        return self.tokens if kind is BudgetKind.TOKENS else self.usd_micro

    def at_least(self, other: Spend) -> Spend:
        return Spend(max(self.tokens, other.tokens), max(self.usd_micro, other.usd_micro))


def alert_thresholds(org: Organization) -> tuple[int, ...]:
    """The percentages that raise the organization's alerts: its own, else the defaults."""
    if org.alert_thresholds is None:
        return BUDGET_ALERT_THRESHOLDS
    return tuple(sorted({int(t) for t in org.alert_thresholds}))


def thresholds_reached(
    spent: int, cap: int | None, thresholds: Iterable[int] = BUDGET_ALERT_THRESHOLDS
) -> tuple[int, ...]:
    """The alert thresholds (percent) that `spent` has reached against `cap`. Pure."""
    if cap is None or cap <= 0:
        return ()
    return tuple(t for t in thresholds if spent * 100 >= cap * t)


def raise_budget_alerts(
    engine: Engine, client: redis.Redis, *, org_ids: Iterable[uuid.UUID], now: datetime
) -> list[BudgetAlert]:
    """Raise the alerts the organizations' current spend calls for; returns the new ones only."""
    orgs = _orgs_with_caps(engine, org_ids)
    periods = {org.id: budget_period(now, org.budget_reset_day) for org in orgs}
    live = redis_spend(client, [(org.id, periods[org.id].id) for org in orgs])
    raised: list[BudgetAlert] = []
    for org in orgs:
        period = periods[org.id]
        with tenant_session(engine, org.id) as session:
            spent = live[org.id].at_least(period_spend(session, org_id=org.id, period=period))
            raised += _insert_new(session, org, period, spent, now)
    return raised


def redis_spend(
    client: redis.Redis, org_periods: list[tuple[uuid.UUID, str]]
) -> dict[uuid.UUID, Spend]:
    """Settled spend in each organization's period, from the admission counters (one trip)."""
    pipe = client.pipeline(transaction=False)
    for org_id, period_id in org_periods:
        pipe.hmget(budget_key(str(org_id), period_id), ["st", "su"])
    replies: list[Any] = pipe.execute() if org_periods else []
    return {
        org_id: Spend(int(tokens or 0), int(usd or 0))
        for (org_id, _), (tokens, usd) in zip(org_periods, replies, strict=True)
    }


def period_spend(session: Session, *, org_id: uuid.UUID, period: Period) -> Spend:
    """The period's usage as rolled up in usage_daily (periods start at a UTC midnight)."""
    statement = select(
        func.coalesce(func.sum(UsageDaily.total_tokens), 0),
        func.coalesce(func.sum(UsageDaily.cost), 0),
    ).where(
        UsageDaily.org_id == org_id,
        col(UsageDaily.day) >= period.starts_at.date(),
        col(UsageDaily.day) < period.ends_at.date(),
    )
    tokens, usd = session.exec(statement).one()
    return Spend(int(tokens), int(usd))


def _insert_new(
    session: Session, org: Organization, period: Period, spent: Spend, now: datetime
) -> list[BudgetAlert]:
    caps = BudgetCaps.of(org)
    thresholds = alert_thresholds(org)
    rows = [
        {"org_id": org.id, "period": period.id, "kind": kind, "threshold": t, "created_at": now}
        for kind in BudgetKind
        for t in thresholds_reached(spent.get(kind), caps.get(kind), thresholds)
    ]
    if not rows:
        return []
    insert = upsert_insert(session)
    statement = (
        insert(BudgetAlert)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["org_id", "period", "kind", "threshold"])
        .returning(BudgetAlert.id)
    )
    new_ids = list(session.execute(statement).scalars())
    if not new_ids:
        return []
    found = session.exec(select(BudgetAlert).where(col(BudgetAlert.id).in_(new_ids))).all()
    return sorted(found, key=lambda alert: (alert.kind, alert.threshold))


def _orgs_with_caps(engine: Engine, org_ids: Iterable[uuid.UUID]) -> list[Organization]:
    ids = list(set(org_ids))
    if not ids:
        return []
    with system_session(engine) as session:
        orgs = session.exec(select(Organization).where(col(Organization.id).in_(ids))).all()
    return [org for org in orgs if BudgetCaps.of(org) != BudgetCaps(None, None)]
