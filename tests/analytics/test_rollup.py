"""The daily roll-up: exact totals per organization and UTC day, idempotent, incremental."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import redis
from sqlalchemy import Engine
from sqlmodel import col, select

from gateway.analytics.dirty import OrgDay, dirty_snapshot, mark_dirty
from gateway.analytics.rollup import rollup_days, rollup_dirty
from gateway.db.models import Organization, RequestLog, UsageDaily
from gateway.db.sessions import tenant_session
from tests.analytics.conftest import NOW

TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)


def daily_rows(engine: Engine, org: Organization) -> dict[date, dict[str, Any]]:
    with tenant_session(engine, org.id) as session:
        rows = session.exec(select(UsageDaily).where(UsageDaily.org_id == org.id)).all()
    return {row.day: row.model_dump(exclude={"id", "updated_at"}) for row in rows}


def mark(client: redis.Redis, rows: list[RequestLog]) -> None:
    mark_dirty(client, (OrgDay(row.org_id, row.created_at.date()) for row in rows))


def seed_two_days(org: Organization, add_logs: Callable[..., list[RequestLog]]) -> list[RequestLog]:
    """Yesterday and today, several providers and models, hits, misses and errors."""
    late_yesterday = datetime.combine(YESTERDAY, datetime.max.time(), NOW.tzinfo)
    return [
        *add_logs(org, late_yesterday, count=3, cost=1, baseline_cost=999_999),
        *add_logs(org, NOW, count=2, provider="groq", model_used="llama-3.1-8b-instant", cost=7),
        *add_logs(org, NOW, cache_status="exact", cost=0, prompt_tokens=0, completion_tokens=0),
        *add_logs(org, NOW, cache_status="semantic", cost=0),
        *add_logs(org, NOW, count=2, cost=123_456_789, baseline_cost=987_654_321),
        *add_logs(
            org, NOW, provider=None, model_used=None, status_code=429, prompt_tokens=0,
            completion_tokens=0, cost=0, baseline_cost=0,
        ),
    ]  # fmt: skip


def expected(rows: list[RequestLog], day: date) -> dict[str, int]:
    mine = [row for row in rows if row.created_at.date() == day]
    return {
        "requests": len(mine),
        "prompt_tokens": sum(row.prompt_tokens for row in mine),
        "completion_tokens": sum(row.completion_tokens for row in mine),
        "total_tokens": sum(row.total_tokens for row in mine),
        "cost": sum(row.cost for row in mine),
        "baseline_cost": sum(row.baseline_cost for row in mine),
        "cache_hits": sum(row.cache_status in ("exact", "semantic") for row in mine),
        "cache_misses": sum(row.cache_status == "miss" and row.status_code < 400 for row in mine),
        "errors": sum(row.status_code >= 400 for row in mine),
    }


def test_each_day_holds_exact_totals_and_breakdowns(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    org, other = make_org(name="Acme", plan="growth"), make_org(name="Other", plan="growth")
    rows = seed_two_days(org, add_logs)
    other_rows = add_logs(other, NOW, count=4)
    mark(redis_client, rows + other_rows)

    result = rollup_dirty(engine, redis_client, now=NOW)

    assert (result.pairs, result.rows, set(result.org_ids)) == (3, 3, {org.id, other.id})
    days = daily_rows(engine, org)
    assert set(days) == {YESTERDAY, TODAY}
    for day in (YESTERDAY, TODAY):
        assert {k: days[day][k] for k in expected(rows, day)} == expected(rows, day)
    assert days[TODAY]["cost"] == 2 * 123_456_789 + 2 * 7 + 27 * 0 + 0  # micro-dollar exact
    assert days[TODAY]["by_provider"] == {
        "openai": {
            "requests": 4,
            "prompt_tokens": 300,
            "completion_tokens": 60,
            "cost": 246_913_578,
            "baseline_cost": 2 * 987_654_321 + 450 * 2,
        },
        "groq": {
            "requests": 2,
            "prompt_tokens": 200,
            "completion_tokens": 40,
            "cost": 14,
            "baseline_cost": 900,
        },
    }
    assert set(days[TODAY]["by_model"]) == {"gpt-4o-mini", "llama-3.1-8b-instant"}
    assert daily_rows(engine, other)[TODAY]["requests"] == 4
    assert dirty_snapshot(redis_client) == {}


def test_running_it_twice_or_after_a_crash_half_way_gives_the_same_rows(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    orgs = [make_org(name=f"Org {n}", plan="growth") for n in range(3)]
    rows = [row for org in orgs for row in seed_two_days(org, add_logs)]
    mark(redis_client, rows)
    # A run that died half-way: the first organization's days were written, the list kept.
    rollup_days(engine, org_id=orgs[0].id, days=[TODAY, YESTERDAY], now=NOW)
    assert len(dirty_snapshot(redis_client)) == 6

    rollup_dirty(engine, redis_client, now=NOW)
    first = [daily_rows(engine, org) for org in orgs]
    mark(redis_client, rows)  # everything again: a second run over unchanged logs
    rollup_dirty(engine, redis_client, now=NOW)

    assert [daily_rows(engine, org) for org in orgs] == first
    for org, days in zip(orgs, first, strict=True):
        mine = [row for row in rows if row.org_id == org.id]
        assert days[TODAY]["requests"] == expected(mine, TODAY)["requests"]
    with tenant_session(engine, orgs[0].id) as session:
        count = len(session.exec(select(UsageDaily).where(UsageDaily.org_id == orgs[0].id)).all())
    assert count == 2


def test_rows_arriving_later_update_their_day(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    org = make_org(plan="growth")
    mark(redis_client, add_logs(org, NOW, count=2))
    rollup_dirty(engine, redis_client, now=NOW)
    assert rollup_dirty(engine, redis_client, now=NOW).pairs == 0  # nothing new: no work

    mark(redis_client, add_logs(org, NOW - timedelta(hours=1), count=3, cost=1_000))
    rollup_dirty(engine, redis_client, now=NOW)

    today = daily_rows(engine, org)[TODAY]
    assert (today["requests"], today["cost"]) == (5, 2 * 27 + 3 * 1_000)


def test_days_past_the_retention_cutoff_are_left_as_they_are(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    org = make_org(plan="free")  # 7 days of logs
    old_day = NOW - timedelta(days=30)
    mark(redis_client, add_logs(org, old_day, count=2) + add_logs(org, NOW))

    rollup_dirty(engine, redis_client, now=NOW)

    assert set(daily_rows(engine, org)) == {TODAY}
    assert dirty_snapshot(redis_client) == {}


def test_the_rollup_reads_only_the_days_it_recomputes(
    engine: Engine,
    redis_client: redis.Redis,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    org = make_org(plan="growth")
    add_logs(org, NOW - timedelta(days=3), count=2)  # never marked: e.g. rolled up long ago
    mark(redis_client, add_logs(org, NOW) + add_logs(org, NOW - timedelta(days=5)))

    rollup_dirty(engine, redis_client, now=NOW)

    assert sorted(daily_rows(engine, org)) == [(NOW - timedelta(days=5)).date(), TODAY]
    with tenant_session(engine, org.id) as session:
        logs = session.exec(select(RequestLog).where(col(RequestLog.org_id) == org.id)).all()
    assert len(logs) == 4
