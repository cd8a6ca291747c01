"""The overview: past days from usage_daily, today live from request_logs, one org only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from gateway.dashboard.overview import (
    DEFAULT_RANGE,
    Ranked,
    load_overview,
    percentile,
    range_days,
    ranked,
)
from gateway.db.models import Organization
from tests.dashboard.conftest import NOW

MakeOrg = Callable[..., Organization]
TODAY = NOW.date()


def test_history_and_todays_live_traffic_add_up(
    engine: Engine, make_org: MakeOrg, add_day: Callable[..., None], add_logs: Callable[..., None]
) -> None:
    org = make_org("Acme")
    add_day(org, TODAY - timedelta(days=2), requests=10)
    add_day(org, TODAY - timedelta(days=10), requests=99)  # outside a 7-day range
    add_logs(org, NOW - timedelta(hours=1), count=3)
    add_logs(
        org, NOW - timedelta(minutes=5), status_code=502, provider=None, model_used=None, cost=0
    )
    add_logs(org, NOW - timedelta(minutes=1), cache_status="exact", cost=0, latency_ms=2)

    overview = load_overview(engine, org_id=org.id, days=7, now=NOW)

    assert [p.day for p in overview.days] == [TODAY - timedelta(days=n) for n in range(6, -1, -1)]
    assert [p.requests for p in overview.days] == [0, 0, 0, 0, 10, 0, 5]
    assert overview.totals.requests == 15
    assert overview.totals.errors == 1
    assert overview.totals.cost == 10 * 80 + 3 * 80
    assert overview.saved == overview.totals.baseline_cost - overview.totals.cost
    assert overview.error_rate == pytest.approx(1 / 15)
    assert overview.cache_hit_rate == pytest.approx(1 / 14)  # 1 hit, 10 + 3 misses
    assert overview.has_traffic


def test_top_models_and_providers_merge_history_and_today(
    engine: Engine, make_org: MakeOrg, add_day: Callable[..., None], add_logs: Callable[..., None]
) -> None:
    org = make_org("Acme")
    add_day(org, TODAY - timedelta(days=1), requests=4)
    add_logs(org, NOW - timedelta(hours=2), count=6)

    overview = load_overview(engine, org_id=org.id, days=7, now=NOW)

    assert [(r.name, r.requests) for r in overview.top_models] == [
        ("llama-3.3-70b-versatile", 6),
        ("gpt-4o-mini", 4),
    ]
    assert [r.name for r in overview.top_providers] == ["groq", "openai"]
    assert overview.top_providers[0].share == pytest.approx(0.6)


def test_latency_percentiles_come_from_successful_requests_in_range(
    engine: Engine, make_org: MakeOrg, add_logs: Callable[..., None]
) -> None:
    org = make_org("Acme")
    for latency in range(10, 110, 10):
        add_logs(org, NOW - timedelta(minutes=latency), latency_ms=latency)
    add_logs(org, NOW - timedelta(minutes=1), latency_ms=60_000, status_code=504)
    add_logs(org, NOW - timedelta(days=3), latency_ms=9_999)  # before a one-day range

    overview = load_overview(engine, org_id=org.id, days=1, now=NOW)

    assert (overview.p50_ms, overview.p95_ms) == (50, 100)


def test_an_organization_sees_none_of_another_ones_usage(
    engine: Engine, make_org: MakeOrg, add_day: Callable[..., None], add_logs: Callable[..., None]
) -> None:
    mine, theirs = make_org("Mine"), make_org("Theirs")
    add_day(theirs, TODAY - timedelta(days=1), requests=50)
    add_logs(theirs, NOW - timedelta(minutes=3), count=5)

    overview = load_overview(engine, org_id=mine.id, days=30, now=NOW)

    assert not overview.has_traffic
    assert overview.totals.requests == 0
    assert overview.top_models == ()
    assert (overview.p50_ms, overview.error_rate, overview.cache_hit_rate) == (None, None, None)
    assert len(overview.days) == 30


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [([], 50, None), ([7], 95, 7), ([1, 2, 3, 4], 50, 2), ([5, 1, 4, 2, 3], 100, 5)],
)
def test_percentile_is_nearest_rank(values: list[int], pct: float, expected: int | None) -> None:
    assert percentile(values, pct) == expected


def test_ranked_orders_by_requests_then_cost_then_name_and_keeps_the_top() -> None:
    breakdown = {
        "b": {"requests": 5, "cost": 1},
        "a": {"requests": 5, "cost": 1},
        "c": {"requests": 5, "cost": 9},
        "d": {"requests": 1, "cost": 0},
    }

    assert ranked(breakdown, 16, limit=3) == (
        Ranked("c", 5, 9, 5 / 16),
        Ranked("a", 5, 1, 5 / 16),
        Ranked("b", 5, 1, 5 / 16),
    )


def test_unknown_range_names_fall_back_to_the_default() -> None:
    assert range_days("30d") == 30
    assert range_days("forever") == range_days(DEFAULT_RANGE)
