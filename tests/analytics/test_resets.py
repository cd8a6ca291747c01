"""The monthly reset at a budget period boundary, with the time passed in (never slept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import Engine

from gateway.analytics.alerts import raise_budget_alerts, redis_spend
from gateway.analytics.resets import advance_budget_resets
from gateway.budget.period import budget_period
from gateway.budget.redis_store import budget_key
from gateway.db.models import Organization
from gateway.db.orgs import create_organization
from gateway.db.sessions import system_session

CREATED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
BOUNDARY = datetime(2026, 12, 5, tzinfo=UTC)  # reset day 5
JUST_BEFORE = BOUNDARY - timedelta(microseconds=1)


def org_resetting_on(engine: Engine, day: int = 5, **fields: object) -> Organization:
    with system_session(engine) as session:
        org = create_organization(
            session, name="Acme", plan="growth", budget_reset_day=day, now=CREATED
        )
        for name, value in fields.items():
            setattr(org, name, value)
        return org


def reset_at(engine: Engine, org: Organization) -> datetime:
    with system_session(engine) as session:
        found = session.get(Organization, org.id)
        assert found is not None
        return found.budget_reset_at


def test_the_reset_time_advances_once_it_has_passed(engine: Engine) -> None:
    org = org_resetting_on(engine)
    other = org_resetting_on(engine, day=10)
    assert reset_at(engine, org) == BOUNDARY

    assert advance_budget_resets(engine, now=JUST_BEFORE) == []
    assert advance_budget_resets(engine, now=BOUNDARY) == [org.id]
    assert reset_at(engine, org) == datetime(2027, 1, 5, tzinfo=UTC)
    assert advance_budget_resets(engine, now=BOUNDARY + timedelta(hours=1)) == []
    assert reset_at(engine, other) == datetime(2026, 12, 10, tzinfo=UTC)


def test_a_late_reset_job_still_lands_on_the_next_reset(engine: Engine) -> None:
    org = org_resetting_on(engine)
    # The worker was down for two months: the reset moves to the next one after `now`.
    assert advance_budget_resets(engine, now=datetime(2027, 2, 20, tzinfo=UTC)) == [org.id]
    assert reset_at(engine, org) == datetime(2027, 3, 5, tzinfo=UTC)


def test_counters_and_alerts_start_from_zero_in_the_new_period(
    engine: Engine, redis_client: redis.Redis
) -> None:
    org = org_resetting_on(engine, monthly_token_budget=1000)
    old = budget_period(JUST_BEFORE, org.budget_reset_day)
    redis_client.hset(budget_key(str(org.id), old.id), mapping={"st": 1000, "su": 0})
    alerts = raise_budget_alerts(engine, redis_client, org_ids=[org.id], now=JUST_BEFORE)
    assert [(a.period, a.threshold) for a in alerts] == [(old.id, 50), (old.id, 80), (old.id, 100)]

    new = budget_period(BOUNDARY, org.budget_reset_day)
    assert (old.id, new.id) == ("2026-11-05", "2026-12-05")
    assert redis_spend(redis_client, [(org.id, new.id)])[org.id].tokens == 0
    assert raise_budget_alerts(engine, redis_client, org_ids=[org.id], now=BOUNDARY) == []

    redis_client.hset(budget_key(str(org.id), new.id), mapping={"st": 600, "su": 0})
    alerts = raise_budget_alerts(engine, redis_client, org_ids=[org.id], now=BOUNDARY)
    assert [(a.period, a.threshold) for a in alerts] == [(new.id, 50)]
