"""What the dashboard reads: a zero-filled daily series and range totals from usage_daily."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import redis
from sqlalchemy import Engine

from gateway.analytics.dirty import OrgDay, mark_dirty
from gateway.analytics.queries import (
    daily_usage,
    period_budget_alerts,
    recent_budget_alerts,
    usage_totals,
)
from gateway.analytics.rollup import rollup_dirty
from gateway.db.models import Organization, RequestLog
from gateway.db.sessions import tenant_session
from tests.analytics.conftest import NOW, add_alert

TODAY = NOW.date()


def test_a_chart_has_one_point_per_day_and_totals_merge_breakdowns(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    org, other = make_org(plan="growth"), make_org(name="Other", plan="growth")
    rows = add_logs(org, NOW - timedelta(days=2), count=2, cost=100, baseline_cost=1000)
    rows += add_logs(org, NOW, count=3, provider="groq", model_used="llama", cost=10)
    rows += add_logs(org, NOW, cache_status="exact", cost=0)
    rows += add_logs(other, NOW, count=9)
    mark_dirty(redis_client, {OrgDay(row.org_id, row.created_at.date()) for row in rows})
    rollup_dirty(engine, redis_client, now=NOW)

    with tenant_session(engine, org.id) as session:
        chart = daily_usage(session, org_id=org.id, first=TODAY - timedelta(days=3), last=TODAY)
        totals = usage_totals(session, org_id=org.id, first=TODAY - timedelta(days=29), last=TODAY)

    assert [point.day for point in chart] == [TODAY - timedelta(days=n) for n in (3, 2, 1, 0)]
    assert [point.requests for point in chart] == [0, 2, 0, 4]
    assert chart[1].saved == 2 * (1000 - 100)
    assert (chart[3].cache_hits, chart[3].cache_misses) == (1, 3)
    assert (totals.requests, totals.cost) == (6, 230)
    assert totals.by_provider["openai"]["requests"] == 3
    assert totals.by_model["llama"]["cost"] == 30


def test_alerts_list_newest_first_and_by_period(
    engine: Engine, make_org: Callable[..., Organization]
) -> None:
    org = make_org(plan="growth")
    add_alert(engine, org, period="2026-10-01", threshold=100, created_at=NOW - timedelta(days=40))
    add_alert(engine, org, threshold=50, created_at=NOW - timedelta(days=1))
    add_alert(engine, org, threshold=80, created_at=NOW)
    add_alert(engine, make_org(name="Other"), threshold=80, created_at=NOW)

    with tenant_session(engine, org.id) as session:
        recent = recent_budget_alerts(session, org_id=org.id, limit=2)
        current = period_budget_alerts(session, org_id=org.id, period_id="2026-11-01")

    assert [alert.threshold for alert in recent] == [80, 50]
    assert [alert.threshold for alert in current] == [50, 80]
