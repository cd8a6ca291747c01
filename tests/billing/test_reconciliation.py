"""Reconciliation flags any meter more than 0.1 % away from Stripe, and stays quiet otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis
import stripe
from sqlalchemy import Engine

from gateway.billing.checkout import ensure_customer
from gateway.billing.metering import hour_floor, record_usage, send_reports
from gateway.billing.reconciliation import AlertStore, differs, reconcile
from gateway.db.models import Organization
from tests.billing.fake_stripe import FakeStripe

NOW = datetime.now(UTC)
H = hour_floor(NOW)
START, END = H - timedelta(hours=24), H


@pytest.mark.parametrize(
    ("recorded", "in_stripe", "flagged"),
    [
        (1_000, 1_000, False),
        (1_000, 999, False),  # exactly 0.1 %
        (1_000, 1_001, False),
        (1_000, 998, True),
        (100_000, 100_101, True),
        (0, 0, False),
        (0, 1, True),  # usage in Stripe RouterAI never recorded
        (5, 0, True),  # usage never reported
    ],
)
def test_the_tolerance_is_a_tenth_of_a_percent(
    recorded: int, in_stripe: int, flagged: bool
) -> None:
    assert differs(recorded, in_stripe) is flagged


@pytest.fixture
def reported(
    engine: Engine,
    make_org: Callable[..., Organization],
    synced_stripe: stripe.StripeClient,
    add_usage: Callable[..., None],
) -> tuple[Organization, str]:
    """An organization whose usage of two hours was recorded and sent."""
    org = make_org(name="Acme", plan="growth")
    customer = ensure_customer(engine, synced_stripe, org.id)
    add_usage(org.id, H - timedelta(hours=3), 40_000, 1_200)
    add_usage(org.id, H - timedelta(hours=2), 60_000, 800)
    record_usage(engine, now=NOW)
    assert send_reports(engine, synced_stripe, now=NOW).sent == 4
    return org, customer


def test_agreeing_numbers_raise_no_alert(
    engine: Engine,
    synced_stripe: stripe.StripeClient,
    reported: tuple[Organization, str],
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = reconcile(engine, synced_stripe, start=START, end=END)
    AlertStore(redis_client).record(result)

    assert result.agrees and len(result.checked) == 2
    assert AlertStore(redis_client).alerts() == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_injected_discrepancy_is_flagged_logged_and_kept_until_resolved(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    reported: tuple[Organization, str],
    add_usage: Callable[..., None],
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    org, customer = reported
    stray = int((H - timedelta(hours=5)).timestamp())
    fake_stripe.catalog.record_meter_event("llm_tokens_used", customer, 150, stray)
    store = AlertStore(redis_client)

    result = reconcile(engine, synced_stripe, start=START, end=END)
    store.record(result)

    (alert,) = result.discrepancies
    assert (alert.org_id, alert.meter, alert.recorded, alert.in_stripe) == (
        str(org.id),
        "llm_tokens_used",
        100_000,
        100_150,
    )
    assert "0.15% extra in Stripe" in alert.message
    assert store.alerts() == [alert]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"billing reconciliation: {alert.message}"]

    # The 150 tokens turn out to be real usage ingested late: the next run agrees.
    add_usage(org.id, H - timedelta(hours=5), 150, 0)
    store.record(reconcile(engine, synced_stripe, start=START, end=END))
    assert store.alerts() == []


def test_usage_stuck_behind_an_outage_is_flagged_with_its_unsent_reports(
    engine: Engine,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    reported: tuple[Organization, str],
    add_usage: Callable[..., None],
) -> None:
    org, _ = reported
    add_usage(org.id, H - timedelta(hours=1), 5_000, 10)
    record_usage(engine, now=H + timedelta(minutes=10))
    fake_stripe.fail("POST", "/v1/billing/meter_events", "server_error", times=100)
    send_reports(engine, synced_stripe, now=NOW)

    result = reconcile(engine, synced_stripe, start=START, end=END)

    found = {d.meter: (d.recorded - d.in_stripe, d.unsent_reports) for d in result.discrepancies}
    assert found == {"llm_tokens_used": (5_000, 1), "llm_provider_cost": (10, 1)}
