"""Budget alerts: 50, 80 and 100 % of the token and USD budgets, once each per period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import redis
from sqlalchemy import Engine
from sqlmodel import select

from gateway.analytics.alerts import BudgetCaps, raise_budget_alerts, thresholds_reached
from gateway.budget.period import budget_period
from gateway.budget.redis_store import budget_key
from gateway.db.models import BudgetAlert, Organization, UsageDaily
from gateway.db.sessions import system_session, tenant_session
from gateway.tenancy.keys import create_api_key
from gateway.tenancy.loader import tenant_context
from tests.analytics.conftest import NOW


@pytest.mark.parametrize(
    ("spent", "cap", "reached"),
    [
        (0, 1000, ()),
        (499, 1000, ()),
        (500, 1000, (50,)),
        (799, 1000, (50,)),
        (800, 1000, (50, 80)),
        (1000, 1000, (50, 80, 100)),
        (5000, 1000, (50, 80, 100)),
        (1, 1, (50, 80, 100)),
        (10**6, None, ()),
        (5, 0, ()),
    ],
)
def test_thresholds_reached(spent: int, cap: int | None, reached: tuple[int, ...]) -> None:
    assert thresholds_reached(spent, cap) == reached


@pytest.mark.parametrize(
    ("plan", "tokens", "usd"), [("free", None, None), ("growth", None, 5), ("growth", 700, None)]
)
def test_the_caps_are_those_admission_enforces(
    engine: Engine,
    make_org: Callable[..., Organization],
    plan: str,
    tokens: int | None,
    usd: int | None,
) -> None:
    org = make_org(plan=plan)
    org.monthly_token_budget, org.monthly_usd_budget = tokens, usd
    with tenant_session(engine, org.id) as session:
        key, _ = create_api_key(session, org=org, name="k", environment="prod")
    context = tenant_context(org, key)
    assert BudgetCaps.of(org) == BudgetCaps(context.token_budget, context.budget_usd_micro)


def budgeted_org(
    engine: Engine, make_org: Callable[..., Organization], **fields: object
) -> Organization:
    org = make_org(plan="growth")
    with system_session(engine) as session:
        for name, value in {"monthly_token_budget": 1000, **fields}.items():
            setattr(org, name, value)
        session.add(org)
    return org


def settle(client: redis.Redis, org: Organization, tokens: int, usd_micro: int = 0) -> None:
    period = budget_period(NOW, org.budget_reset_day)
    client.hset(budget_key(str(org.id), period.id), mapping={"st": tokens, "su": usd_micro})


def fired(alerts: list[BudgetAlert]) -> list[tuple[str, int]]:
    return [(alert.kind.value, alert.threshold) for alert in alerts]


def test_each_threshold_fires_once_per_period(
    engine: Engine, redis_client: redis.Redis, make_org: Callable[..., Organization]
) -> None:
    org = budgeted_org(engine, make_org, monthly_usd_budget=2_000_000)

    def check() -> list[tuple[str, int]]:
        return fired(raise_budget_alerts(engine, redis_client, org_ids=[org.id], now=NOW))

    settle(redis_client, org, tokens=499)
    assert check() == []
    settle(redis_client, org, tokens=500)
    assert check() == [("tokens", 50)]
    assert check() == []
    settle(redis_client, org, tokens=850, usd_micro=1_000_000)
    assert check() == [("tokens", 80), ("usd", 50)]
    settle(redis_client, org, tokens=5000, usd_micro=2_000_000)
    assert check() == [("tokens", 100), ("usd", 80), ("usd", 100)]
    assert check() == []

    with tenant_session(engine, org.id) as session:
        rows = session.exec(select(BudgetAlert).where(BudgetAlert.org_id == org.id)).all()
    assert sorted(fired(list(rows))) == [
        ("tokens", 50), ("tokens", 80), ("tokens", 100), ("usd", 50), ("usd", 80), ("usd", 100)
    ]  # fmt: skip
    assert {row.period for row in rows} == {budget_period(NOW, org.budget_reset_day).id}


def test_rolled_up_usage_counts_when_redis_lost_its_counters(
    engine: Engine, redis_client: redis.Redis, make_org: Callable[..., Organization]
) -> None:
    org = budgeted_org(engine, make_org, budget_reset_day=5)
    period = budget_period(NOW, 5)
    with tenant_session(engine, org.id) as session:
        for day, tokens in ((period.starts_at.date(), 300), (NOW.date(), 300)):
            session.add(UsageDaily(org_id=org.id, day=day, total_tokens=tokens))
        # The day before the period belongs to the previous one.
        session.add(
            UsageDaily(
                org_id=org.id, day=period.starts_at.date() - timedelta(days=1), total_tokens=900
            )
        )

    alerts = raise_budget_alerts(engine, redis_client, org_ids=[org.id], now=NOW)

    assert fired(alerts) == [("tokens", 50)]


def test_organizations_without_a_budget_raise_nothing(
    engine: Engine, redis_client: redis.Redis, make_org: Callable[..., Organization]
) -> None:
    org = make_org(plan="growth")
    settle(redis_client, org, tokens=10**9, usd_micro=10**12)
    assert raise_budget_alerts(engine, redis_client, org_ids=[org.id], now=NOW) == []


def test_the_free_plans_hard_cap_is_a_budget(
    engine: Engine, redis_client: redis.Redis, make_org: Callable[..., Organization]
) -> None:
    org = make_org(plan="free")  # 100,000 tokens a month, enforced
    settle(redis_client, org, tokens=80_000)
    alerts = raise_budget_alerts(engine, redis_client, org_ids=[org.id], now=NOW)
    assert fired(alerts) == [("tokens", 50), ("tokens", 80)]
    assert isinstance(alerts[0].period, str) and date.fromisoformat(alerts[0].period)
