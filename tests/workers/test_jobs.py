"""Jobs: roll-up → alerts → deliveries queued; deliveries retried with back-off by a real RQ
worker process; one roll-up at a time; the reconciliation safety net."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import Engine
from sqlmodel import col, select

from gateway.analytics.dirty import OrgDay, dirty_snapshot, mark_dirty
from gateway.budget.period import budget_period
from gateway.budget.redis_store import budget_key
from gateway.db.models import BudgetAlert, Organization, RequestLog
from gateway.db.sessions import system_session, tenant_session
from gateway.settings import Settings
from tests.analytics.conftest import WebhookReceiver, add_alert, log_row
from tests.workers.conftest import Spawn
from workers import jobs
from workers.context import JobContext
from workers.queues import DELIVERY_RETRY, HIGH, enqueue_alert_delivery

NOW = datetime.now(UTC).replace(microsecond=0)


def context(settings: Settings, engine: Engine, client: redis.Redis) -> JobContext:
    return JobContext(settings, engine, client, clock=lambda: NOW)


def org_near_its_budget(
    engine: Engine, client: redis.Redis, make_org: Callable[..., Organization], url: str | None
) -> Organization:
    """A Growth organization at 85 % of its token budget, with one request logged today."""
    org = make_org(plan="growth")
    with system_session(engine) as session:
        org.monthly_token_budget = 1000
        org.notification_webhook_url = url
        session.add(org)
    row = log_row(org, NOW)
    with tenant_session(engine, org.id) as session:
        session.add(row)
    mark_dirty(client, [OrgDay(org.id, NOW.date())])
    period = budget_period(NOW, org.budget_reset_day)
    client.hset(budget_key(str(org.id), period.id), mapping={"st": 850, "su": 0})
    return org


def alerts_of(engine: Engine, org: Organization) -> list[BudgetAlert]:
    with tenant_session(engine, org.id) as session:
        statement = select(BudgetAlert).where(BudgetAlert.org_id == org.id)
        return list(session.exec(statement.order_by(col(BudgetAlert.threshold))))


def test_a_rollup_raises_alerts_and_queues_their_deliveries(
    engine: Engine,
    redis_client: redis.Redis,
    worker_settings: Settings,
    make_org: Callable[..., Organization],
) -> None:
    org = org_near_its_budget(engine, redis_client, make_org, "http://127.0.0.1:9/hook")
    silent = org_near_its_budget(engine, redis_client, make_org, None)

    result = jobs.rollup_usage_with(context(worker_settings, engine, redis_client))

    assert result == {"pairs": 2, "rows": 2, "alerts": 4, "queued": 2}
    assert [a.threshold for a in alerts_of(engine, org)] == [50, 80]
    assert [a.threshold for a in alerts_of(engine, silent)] == [50, 80]  # shown, not sent
    queued = Queue(HIGH, connection=redis_client).get_jobs()
    assert sorted(job.id for job in queued) == sorted(
        f"budget-alert-{a.id}" for a in alerts_of(engine, org)
    )
    assert all(job.retries_left == DELIVERY_RETRY.max for job in queued)
    # A second run has nothing new to raise or send.
    again = jobs.rollup_usage_with(context(worker_settings, engine, redis_client))
    assert again == {"pairs": 0, "rows": 0, "alerts": 0, "queued": 0}
    assert len(Queue(HIGH, connection=redis_client)) == 2


def test_a_failed_delivery_is_retried_with_back_off_then_delivered(
    engine: Engine,
    redis_client: redis.Redis,
    worker_settings: Settings,
    make_org: Callable[..., Organization],
    webhook_receiver: WebhookReceiver,
    spawn: Spawn,
) -> None:
    org = org_near_its_budget(engine, redis_client, make_org, webhook_receiver.url)
    jobs.rollup_usage_with(context(worker_settings, engine, redis_client))
    webhook_receiver.fail_next = 1
    queue = Queue(HIGH, connection=redis_client)
    first, second = sorted(queue.job_ids)

    assert spawn("workers", "jobs", HIGH, "--burst").wait(timeout=60) == 0

    failed_once = Job.fetch(first, connection=redis_client)
    assert failed_once.get_status() == JobStatus.SCHEDULED
    assert failed_once.retries_left == DELIVERY_RETRY.max - 1
    retry_at = queue.scheduled_job_registry.get_scheduled_time(failed_once)
    waited = retry_at - datetime.now(UTC)
    assert timedelta(seconds=5) < waited <= timedelta(seconds=DELIVERY_RETRY.intervals[0])
    assert Job.fetch(second, connection=redis_client).get_status() == JobStatus.FINISHED

    # Time passes (not slept): the retry comes due, and the next run delivers it.
    queue.scheduled_job_registry.remove(failed_once)
    queue.enqueue_job(failed_once)
    assert spawn("workers", "jobs", HIGH, "--burst").wait(timeout=60) == 0

    assert Job.fetch(first, connection=redis_client).get_status() == JobStatus.FINISHED
    delivered = alerts_of(engine, org)
    assert [(a.delivered_at is not None, a.attempts) for a in delivered] == [(True, 2), (True, 1)]
    assert len(webhook_receiver.received) == 3
    assert len(queue.failed_job_registry) == 0


def test_a_delivery_under_way_is_not_queued_twice(
    engine: Engine, redis_client: redis.Redis, make_org: Callable[..., Organization]
) -> None:
    org = make_org(plan="growth")
    assert enqueue_alert_delivery(redis_client, alert_id=7, org_id=org.id)
    assert not enqueue_alert_delivery(redis_client, alert_id=7, org_id=org.id)
    assert len(Queue(HIGH, connection=redis_client)) == 1


def test_only_one_rollup_runs_at_a_time(
    engine: Engine,
    redis_client: redis.Redis,
    worker_settings: Settings,
    make_org: Callable[..., Organization],
) -> None:
    org_near_its_budget(engine, redis_client, make_org, None)
    held = redis_client.lock(jobs.ROLLUP_LOCK, timeout=60)
    assert held.acquire(blocking=False)

    result = jobs.rollup_usage_with(context(worker_settings, engine, redis_client))

    assert "skipped" in result
    assert len(dirty_snapshot(redis_client)) == 1  # left for the next run
    held.release()


def test_reconciliation_puts_every_organizations_recent_days_back_on_the_list(
    engine: Engine,
    redis_client: redis.Redis,
    worker_settings: Settings,
    make_org: Callable[..., Organization],
) -> None:
    orgs = [make_org(name=f"Org {n}") for n in range(3)]
    marked = jobs.reconcile_rollups_with(context(worker_settings, engine, redis_client), days=2)
    assert marked == 6
    assert set(dirty_snapshot(redis_client)) == {
        OrgDay(org.id, NOW.date() - timedelta(days=n)) for org in orgs for n in (0, 1)
    }


def test_rows_stay_whole_when_a_job_runs_twice(
    engine: Engine,
    redis_client: redis.Redis,
    worker_settings: Settings,
    make_org: Callable[..., Organization],
) -> None:
    org = org_near_its_budget(engine, redis_client, make_org, None)
    ctx = context(worker_settings, engine, redis_client)
    jobs.rollup_usage_with(ctx)
    jobs.reconcile_rollups_with(ctx, days=1)
    jobs.rollup_usage_with(ctx)
    with tenant_session(engine, org.id) as session:
        logs = session.exec(select(RequestLog).where(RequestLog.org_id == org.id)).all()
    assert len(logs) == 1
    assert [a.threshold for a in alerts_of(engine, org)] == [50, 80]


def test_the_sweep_queues_alerts_whose_delivery_was_never_queued(
    engine: Engine,
    redis_client: redis.Redis,
    worker_settings: Settings,
    make_org: Callable[..., Organization],
) -> None:
    org = org_near_its_budget(engine, redis_client, make_org, "http://127.0.0.1:9/hook")
    lost = add_alert(engine, org, created_at=NOW - timedelta(minutes=10))

    queued = jobs.sweep_budget_alerts_with(context(worker_settings, engine, redis_client))

    assert queued == 1
    assert Queue(HIGH, connection=redis_client).job_ids == [f"budget-alert-{lost.id}"]
