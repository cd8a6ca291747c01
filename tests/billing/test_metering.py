"""Usage reaches Stripe's meters exactly once: through retries, a 500, a killed worker, twins."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from sqlalchemy import Engine, update
from sqlmodel import col, select

from gateway.billing.checkout import ensure_customer
from gateway.billing.client import stripe_client
from gateway.billing.metering import hour_floor, record_usage, report_identifier, send_reports
from gateway.db.enums import MeterReportStatus
from gateway.db.models import MeterReport, Organization
from gateway.db.sessions import tenant_session
from gateway.settings import Settings
from tests.billing.fake_stripe import FakeStripe

NOW = datetime.now(UTC)
H = hour_floor(NOW)
METER_EVENTS = "/v1/billing/meter_events"


def reports(engine: Engine, org_id: uuid.UUID) -> dict[tuple[str, datetime], MeterReport]:
    with tenant_session(engine, org_id) as session:
        rows = session.exec(select(MeterReport).where(MeterReport.org_id == org_id)).all()
    return {(row.meter, row.hour): row for row in rows}


@pytest.fixture
def customer_org(
    engine: Engine, make_org: Callable[..., Organization], synced_stripe: stripe.StripeClient
) -> tuple[Organization, str]:
    """An organization with a Stripe customer (whose usage is reported)."""
    org = make_org(name="Acme", plan="growth")
    return org, ensure_customer(engine, synced_stripe, org.id)


@pytest.fixture
def usage(customer_org: tuple[Organization, str], add_usage: Callable[..., None]) -> dict[str, int]:
    """Two closed hours of usage; returns what each meter should receive in all."""
    org, _ = customer_org
    add_usage(org.id, H - timedelta(hours=3, minutes=-5), 1_000, 500)
    add_usage(org.id, H - timedelta(hours=3, minutes=-50), 2_000, 700, source="byok")
    add_usage(org.id, H - timedelta(hours=2, minutes=-1), 400, 90)
    add_usage(org.id, H - timedelta(hours=2, minutes=-2), 100, 0, provider=None)  # refused
    add_usage(org.id, H - timedelta(hours=2, minutes=-3), 60, 45, cache_status="exact")
    return {"llm_tokens_used": 3_560, "llm_provider_cost": 590}


def test_closed_hours_are_recorded_per_organization_hour_and_meter(
    engine: Engine,
    make_org: Callable[..., Organization],
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
    add_usage: Callable[..., None],
) -> None:
    org, _ = customer_org
    add_usage(org.id, H + timedelta(minutes=1), 9_999, 9_999)  # the current hour: not closed
    add_usage(org.id, H - timedelta(days=4), 7_777, 7_777)  # beyond the look-back
    free = make_org(name="No card")  # no Stripe customer: nothing to report
    add_usage(free.id, H - timedelta(hours=3), 5_000, 5_000)

    record_usage(engine, now=H + timedelta(minutes=11))

    found = {key: row.quantity for key, row in reports(engine, org.id).items()}
    assert found == {
        ("llm_tokens_used", H - timedelta(hours=3)): 3_000,
        ("llm_provider_cost", H - timedelta(hours=3)): 500,  # the BYOK request is not ours
        ("llm_tokens_used", H - timedelta(hours=2)): 560,  # a cache hit's tokens count…
        ("llm_provider_cost", H - timedelta(hours=2)): 90,  # …but cost no provider money
    }
    row = reports(engine, org.id)[("llm_tokens_used", H - timedelta(hours=3))]
    assert row.identifier == report_identifier(org.id, "llm_tokens_used", row.hour)
    assert len(row.identifier) <= 100
    assert reports(engine, free.id) == {}


def test_an_hour_is_closed_only_after_the_settle_delay(
    engine: Engine, customer_org: tuple[Organization, str], add_usage: Callable[..., None]
) -> None:
    org, _ = customer_org
    add_usage(org.id, H - timedelta(minutes=30), 100, 1)
    record_usage(engine, now=H + timedelta(minutes=5))
    assert reports(engine, org.id) == {}
    record_usage(engine, now=H + timedelta(minutes=10))
    assert {key[0] for key in reports(engine, org.id)} == {"llm_tokens_used", "llm_provider_cost"}


def test_a_report_follows_late_usage_until_its_first_send_attempt_then_is_frozen(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    add_usage: Callable[..., None],
) -> None:
    org, _ = customer_org
    hour = H - timedelta(hours=2)
    add_usage(org.id, hour, 100)
    record_usage(engine, now=NOW)
    add_usage(org.id, hour + timedelta(minutes=1), 50)  # ingested late
    record_usage(engine, now=NOW)
    assert reports(engine, org.id)[("llm_tokens_used", hour)].quantity == 150

    fake_stripe.fail("POST", METER_EVENTS, "server_error", times=1)
    send_reports(engine, synced_stripe, now=NOW)  # attempted: the quantity is now frozen
    add_usage(org.id, hour + timedelta(minutes=2), 25)
    record_usage(engine, now=NOW)
    send_reports(engine, synced_stripe, now=NOW)

    assert reports(engine, org.id)[("llm_tokens_used", hour)].quantity == 150
    assert fake_stripe.meter_total("llm_tokens_used") == 150


def test_each_hour_is_sent_once_however_often_sending_runs(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
) -> None:
    org, customer = customer_org
    record_usage(engine, now=NOW)

    first = send_reports(engine, synced_stripe, now=NOW)
    for _ in range(3):
        record_usage(engine, now=NOW)
        assert send_reports(engine, synced_stripe, now=NOW).sent == 0

    assert (first.sent, first.failed, first.deferred) == (4, 0, 0)
    assert len(fake_stripe.requests_to("POST", METER_EVENTS)) == 4
    for meter, total in usage.items():
        assert fake_stripe.meter_total(meter, customer) == total
    sent = reports(engine, org.id).values()
    assert {row.status for row in sent} == {MeterReportStatus.SENT}
    hour = H - timedelta(hours=3)
    event = next(
        e
        for e in fake_stripe.state.meter_events
        if e["event_name"] == "llm_tokens_used" and e["timestamp"] < int(H.timestamp()) - 7200
    )
    assert event["timestamp"] == int(hour.timestamp()) + 3599  # inside its hour
    assert event["payload"] == {"stripe_customer_id": customer, "value": "3000"}


def test_a_500_is_sent_again_with_the_same_idempotency_key(
    engine: Engine,
    fake_stripe: FakeStripe,
    billing_settings: Settings,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
) -> None:
    record_usage(engine, now=NOW)
    fake_stripe.fail("POST", METER_EVENTS, "server_error", times=1)
    client = stripe_client(billing_settings)

    # The SDK retries a 500 itself when its rules say so; otherwise the next run sends it.
    runs = [send_reports(engine, client, now=NOW) for _ in range(2)]

    assert sum(run.sent for run in runs) == 4
    first, second = fake_stripe.requests_to("POST", METER_EVENTS)[:2]
    assert (first.status, second.status) == (500, 200)
    assert first.idempotency_key == second.idempotency_key
    assert first.params["identifier"] == second.params["identifier"]
    assert fake_stripe.meter_total("llm_tokens_used") == usage["llm_tokens_used"]


@pytest.mark.parametrize("fault", ["server_error", "rate_limit"])
def test_a_stripe_outage_only_delays_reporting(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
    fault: str,
) -> None:
    org, _ = customer_org
    record_usage(engine, now=NOW)
    fake_stripe.fail("POST", METER_EVENTS, fault, times=100)

    down = send_reports(engine, synced_stripe, now=NOW)

    assert (down.sent, down.deferred) == (0, 4)
    assert {r.status for r in reports(engine, org.id).values()} == {MeterReportStatus.PENDING}
    assert len(fake_stripe.requests_to("POST", METER_EVENTS)) == 1  # the run stopped at once

    fake_stripe.controls.faults.clear()
    back = send_reports(engine, synced_stripe, now=NOW)

    assert back.sent == 4
    for meter, total in usage.items():
        assert fake_stripe.meter_total(meter) == total


@pytest.mark.parametrize("stripe_remembers_the_key", [True, False])
def test_an_answer_lost_after_stripe_recorded_the_event_is_not_billed_twice(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
    stripe_remembers_the_key: bool,
) -> None:
    org, _ = customer_org
    record_usage(engine, now=NOW)
    fake_stripe.fail("POST", METER_EVENTS, "server_error", after_processing=True)

    lost = send_reports(engine, synced_stripe, now=NOW)  # Stripe recorded it; we got a 500
    if not stripe_remembers_the_key:
        fake_stripe.controls.idempotent.clear()  # keys expire: only the identifier holds
    final = send_reports(engine, synced_stripe, now=NOW)

    assert (lost.sent, lost.deferred, final.sent, final.failed) == (0, 4, 4, 0)
    for meter, total in usage.items():
        assert fake_stripe.meter_total(meter) == total
    retry = fake_stripe.requests_to("POST", METER_EVENTS)[1]
    if stripe_remembers_the_key:
        assert (retry.status, retry.replayed) == (200, True)
    else:  # refused as a duplicate identifier, which means delivered
        assert (retry.status, retry.replayed) == (400, False)
    assert {r.status for r in reports(engine, org.id).values()} == {MeterReportStatus.SENT}


def test_a_worker_killed_mid_send_does_not_bill_twice(
    engine: Engine,
    fake_stripe: FakeStripe,
    billing_settings: Settings,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
) -> None:
    org, _ = customer_org
    record_usage(engine, now=NOW)
    hold = fake_stripe.hold("POST", METER_EVENTS)  # Stripe records the event, then stalls
    env = {**os.environ, **settings_env(billing_settings)}
    worker = subprocess.Popen(
        [sys.executable, "-c", "from workers.billing_jobs import report_meter_usage as job; job()"],
        env=env,
    )
    try:
        assert hold.reached.wait(60), "the worker never reached Stripe"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        hold.release.set()
        if worker.poll() is None:
            worker.kill()
    attempted = [r for r in reports(engine, org.id).values() if r.attempts]
    assert len(attempted) == 1 and attempted[0].status is MeterReportStatus.PENDING

    send_reports(engine, synced_stripe, now=NOW)

    for meter, total in usage.items():
        assert fake_stripe.meter_total(meter) == total
    replays = [r for r in fake_stripe.requests_to("POST", METER_EVENTS) if r.replayed]
    assert len(replays) == 1


def test_two_senders_at_once_send_each_hour_once(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
) -> None:
    record_usage(engine, now=NOW)
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        send_reports(engine, synced_stripe, now=NOW)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    for meter, total in usage.items():
        assert fake_stripe.meter_total(meter) == total


def test_a_report_pending_for_a_day_is_looked_up_in_stripe_before_resending(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
) -> None:
    org, _ = customer_org
    record_usage(engine, now=NOW)
    send_reports(engine, synced_stripe, now=NOW)
    with tenant_session(engine, org.id) as session:  # as if the worker died before marking
        session.execute(
            update(MeterReport)
            .where(col(MeterReport.org_id) == org.id)
            .values(status=MeterReportStatus.PENDING, created_at=NOW - timedelta(hours=21))
        )
    fake_stripe.controls.idempotent.clear()
    posts = len(fake_stripe.requests_to("POST", METER_EVENTS))

    summary = send_reports(engine, synced_stripe, now=NOW)

    assert summary.sent == 4
    assert len(fake_stripe.requests_to("POST", METER_EVENTS)) == posts  # found, not resent
    for meter, total in usage.items():
        assert fake_stripe.meter_total(meter) == total


def test_a_report_stripe_refuses_is_failed_and_the_others_still_go(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    make_org: Callable[..., Organization],
    customer_org: tuple[Organization, str],
    usage: dict[str, int],
    add_usage: Callable[..., None],
) -> None:
    ghost = make_org(name="Ghost")
    from gateway.db.sessions import system_session

    with system_session(engine) as session:
        row = session.get(Organization, ghost.id)
        assert row is not None
        row.stripe_customer_id = "cus_deleted_in_stripe"
        session.add(row)
    add_usage(ghost.id, H - timedelta(hours=4), 10, 0)
    record_usage(engine, now=NOW)

    summary = send_reports(engine, synced_stripe, now=NOW)

    assert (summary.sent, summary.failed) == (4, 1)
    assert "No such customer" in summary.errors[0]
    (refused,) = reports(engine, ghost.id).values()
    assert refused.status is MeterReportStatus.FAILED


def settings_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url and settings.redis_url and settings.stripe_secret_key
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "STRIPE_SECRET_KEY": settings.stripe_secret_key.get_secret_value(),
        "STRIPE_API_BASE": settings.stripe_api_base or "",
        "ROUTERAI_ENV": "test",
    }
