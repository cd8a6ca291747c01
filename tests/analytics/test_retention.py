"""Request-log retention: per-plan days, whole UTC days, bounded batches, other tenants intact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import col, select

from gateway.analytics.retention import purge_expired_logs, purge_org_logs, retention_cutoff
from gateway.db.models import Organization, RequestLog
from gateway.db.sessions import tenant_session
from tests.analytics.conftest import NOW


def remaining(engine: Engine, org: Organization) -> list[datetime]:
    with tenant_session(engine, org.id) as session:
        statement = select(RequestLog.created_at).where(RequestLog.org_id == org.id)
        return sorted(session.exec(statement))


def test_the_cutoff_is_a_utc_midnight() -> None:
    assert retention_cutoff(NOW, 7) == datetime(2026, 11, 19, tzinfo=UTC)
    assert retention_cutoff(datetime(2026, 11, 26, tzinfo=UTC), 0) == datetime(
        2026, 11, 26, tzinfo=UTC
    )


def test_each_plan_keeps_its_own_number_of_days(
    engine: Engine,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    free, growth = make_org(name="Free", plan="free"), make_org(name="Growth", plan="growth")
    cutoff = retention_cutoff(NOW, 7)
    for org in (free, growth):
        add_logs(org, cutoff - timedelta(microseconds=1), count=3)  # the last instant of day -8
        add_logs(org, cutoff, count=2)  # the first of day -7: kept
        add_logs(org, NOW - timedelta(days=120))  # past even Growth's 90 days

    assert purge_expired_logs(engine, now=NOW, batch_size=2) == 3 + 1 + 1

    assert remaining(engine, free) == [cutoff, cutoff]
    assert len(remaining(engine, growth)) == 5


def test_deletion_goes_in_bounded_batches(
    engine: Engine,
    make_org: Callable[..., Organization],
    add_logs: Callable[..., list[RequestLog]],
) -> None:
    org = make_org(plan="free")
    add_logs(org, NOW - timedelta(days=30), count=25)
    add_logs(org, NOW, count=1)
    cutoff = retention_cutoff(NOW, 7)

    assert purge_org_logs(engine, org_id=org.id, cutoff=cutoff, batch_size=10, max_batches=2) == 20
    assert purge_org_logs(engine, org_id=org.id, cutoff=cutoff, batch_size=10) == 5
    with tenant_session(engine, org.id) as session:
        total = session.exec(
            select(func.count()).select_from(RequestLog).where(col(RequestLog.org_id) == org.id)
        ).one()
    assert total == 1
