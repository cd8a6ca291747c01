"""The billing jobs, run by a real RQ worker and with contexts of the tests' own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis
import stripe
from rq import Queue, SimpleWorker
from rq.job import JobStatus
from sqlalchemy import Engine

from gateway.billing.checkout import ensure_customer
from gateway.billing.metering import hour_floor
from gateway.billing.plans import PlanName
from gateway.billing.reconciliation import AlertStore
from gateway.db.enums import PlanStatus
from gateway.db.models import Organization
from gateway.db.sessions import system_session
from gateway.settings import Settings
from gateway.tenancy.keys import hash_api_key
from gateway.tenancy.resolver import tenant_cache_key
from tests.billing.fake_stripe import FakeStripe
from tests.billing.test_metering import settings_env
from tests.gateway.conftest import Tenant
from workers.billing_jobs import (
    enforce_grace_periods_with,
    reconcile_meter_usage,
    reconcile_meter_usage_with,
    report_meter_usage,
)
from workers.context import JobContext

NOW = datetime.now(UTC)


def test_an_rq_worker_reports_usage_and_reconciles(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    billing_settings: Settings,
    add_usage: Callable[..., None],
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in settings_env(billing_settings).items():
        monkeypatch.setenv(name, value)  # what `routerai worker` passes its workers
    org = make_org(name="Acme", plan="growth")
    customer = ensure_customer(engine, synced_stripe, org.id)
    yesterday = hour_floor(NOW).replace(hour=12) - timedelta(days=1)
    add_usage(org.id, yesterday, 12_345, 678)
    queue = Queue("billing-test", connection=redis_client)
    report = queue.enqueue(report_meter_usage)
    check = queue.enqueue(reconcile_meter_usage, yesterday.date().isoformat())

    SimpleWorker([queue], connection=redis_client).work(burst=True)

    assert report.get_status() == JobStatus.FINISHED, report.latest_result()
    assert report.return_value()["sent"] == 2  # type: ignore[index]
    assert fake_stripe.meter_total("llm_tokens_used", customer) == 12_345
    assert check.return_value() == {
        "day": yesterday.date().isoformat(),
        "checked": 2,
        "discrepancies": [],
    }


def test_reconciliation_defaults_to_the_day_that_ended_two_hours_ago(
    engine: Engine,
    make_org: Callable[..., Organization],
    synced_stripe: stripe.StripeClient,
    billing_settings: Settings,
    add_usage: Callable[..., None],
    redis_client: redis.Redis,
) -> None:
    org = make_org(name="Acme")
    ensure_customer(engine, synced_stripe, org.id)
    add_usage(org.id, datetime(2026, 11, 4, 18, tzinfo=UTC), 900, 0)  # never reported
    at = datetime(2026, 11, 5, 1, 30, tzinfo=UTC)
    ctx = JobContext(billing_settings, engine, redis_client, clock=lambda: at)

    early = reconcile_meter_usage_with(ctx)  # 01:30: the 4th ended too recently
    ctx = JobContext(billing_settings, engine, redis_client, clock=lambda: at + timedelta(hours=1))
    late = reconcile_meter_usage_with(ctx)

    assert (early["day"], early["discrepancies"]) == ("2026-11-03", [])
    assert late["day"] == "2026-11-04" and len(late["discrepancies"]) == 1
    (alert,) = AlertStore(redis_client).alerts()
    assert (alert.meter, alert.recorded, alert.in_stripe) == ("llm_tokens_used", 900, 0)


def test_the_grace_job_gives_free_limits_and_forgets_the_cached_contexts(
    engine: Engine,
    make_tenant: Callable[..., Tenant],
    billing_settings: Settings,
    redis_client: redis.Redis,
) -> None:
    tenant = make_tenant(name="Late payer", plan="growth")
    with system_session(engine) as session:
        org = session.get(Organization, tenant.org.id)
        assert org is not None
        org.plan_status, org.past_due_since = PlanStatus.PAST_DUE, NOW - timedelta(days=8)
        session.add(org)
    cached = tenant_cache_key(hash_api_key(tenant.key))
    redis_client.set(cached, b"growth limits")
    ctx = JobContext(billing_settings, engine, redis_client, clock=lambda: NOW)

    assert enforce_grace_periods_with(ctx) == 1
    assert enforce_grace_periods_with(ctx) == 0  # idempotent

    with system_session(engine) as session:
        org = session.get(Organization, tenant.org.id)
    assert org is not None and (org.plan, org.plan_status) == (PlanName.FREE, PlanStatus.PAST_DUE)
    assert redis_client.get(cached) is None
