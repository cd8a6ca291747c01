"""Budget alerts delivered to a real webhook on 127.0.0.1: signed, once, retried on failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from gateway.analytics.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    Outcome,
    WebhookDeliveryError,
    deliver_budget_alert,
    sign,
    undelivered_alerts,
    verify_signature,
    webhook_secret,
)
from gateway.db.models import BudgetAlert, Organization
from gateway.db.sessions import system_session, tenant_session
from tests.analytics.conftest import NOW, WebhookReceiver, add_alert
from tests.fixtures.servers import free_port

SECRET_KEY = "a-deployment-secret-key-of-at-least-32-chars"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def subscribed_org(
    engine: Engine, make_org: Callable[..., Organization], url: str | None, plan: str = "growth"
) -> Organization:
    org = make_org(plan=plan)
    with system_session(engine) as session:
        org.notification_webhook_url = url
        org.monthly_token_budget = 10_000
        session.add(org)
    return org


def reload(engine: Engine, alert: BudgetAlert) -> BudgetAlert:
    with tenant_session(engine, alert.org_id) as session:
        found = session.get(BudgetAlert, alert.id)
        assert found is not None
        return found


def deliver(engine: Engine, http: httpx.Client, alert: BudgetAlert) -> Outcome:
    assert alert.id is not None
    return deliver_budget_alert(
        engine,
        http,
        alert_id=alert.id,
        org_id=alert.org_id,
        secret_key=SECRET_KEY,
        now=NOW,
        allow_private=True,  # the receiver listens on 127.0.0.1
    )


def test_a_signature_verifies_only_for_its_body_secret_and_time() -> None:
    body, secret, sent = b'{"a": 1}', "whsec_x", 1_800_000_000
    header = sign(secret, body, sent)
    assert verify_signature(secret, body, header, now=sent + 10)
    assert not verify_signature(secret, b'{"a": 2}', header, now=sent)
    assert not verify_signature("whsec_y", body, header, now=sent)
    assert not verify_signature(secret, body, header, now=sent + 3600)
    assert not verify_signature(secret, body, "v1=deadbeef", now=sent)


def test_each_organization_has_its_own_secret() -> None:
    assert webhook_secret(SECRET_KEY, "a") != webhook_secret(SECRET_KEY, "b")
    assert webhook_secret(SECRET_KEY, "a") == webhook_secret(SECRET_KEY, "a")


def test_an_alert_is_delivered_signed_and_only_once(
    engine: Engine,
    make_org: Callable[..., Organization],
    webhook_receiver: WebhookReceiver,
    http: httpx.Client,
) -> None:
    org = subscribed_org(engine, make_org, webhook_receiver.url)
    alert = add_alert(engine, org, threshold=80)

    assert deliver(engine, http, alert) is Outcome.DELIVERED
    assert deliver(engine, http, alert) is Outcome.ALREADY_DELIVERED

    [(headers, body)] = webhook_receiver.received
    secret = webhook_secret(SECRET_KEY, org.id)
    assert verify_signature(secret, body, headers[SIGNATURE_HEADER.lower()], now=NOW.timestamp())
    event = orjson.loads(body)
    assert headers[EVENT_ID_HEADER.lower()] == event["id"] == f"evt_budget_{alert.id}"
    assert event["type"] == "budget.threshold_reached"
    assert event["organization"] == {"id": str(org.id), "slug": org.slug}
    assert event["budget"] == {
        "kind": "tokens",
        "period": "2026-11-01",
        "threshold_percent": 80,
        "limit_tokens": 10_000,
    }
    stored = reload(engine, alert)
    assert (stored.delivered_at, stored.attempts) == (NOW, 1)


def test_a_failed_delivery_counts_its_attempt_and_raises_to_be_retried(
    engine: Engine,
    make_org: Callable[..., Organization],
    webhook_receiver: WebhookReceiver,
    http: httpx.Client,
) -> None:
    org = subscribed_org(engine, make_org, webhook_receiver.url)
    alert = add_alert(engine, org, kind="usd", threshold=100)
    webhook_receiver.fail_next = 1

    with pytest.raises(WebhookDeliveryError, match="503"):
        deliver(engine, http, alert)
    assert (reload(engine, alert).attempts, reload(engine, alert).delivered_at) == (1, None)

    assert deliver(engine, http, alert) is Outcome.DELIVERED
    assert reload(engine, alert).attempts == 2
    assert len(webhook_receiver.received) == 2


def test_an_unreachable_webhook_raises_to_be_retried(
    engine: Engine, make_org: Callable[..., Organization], http: httpx.Client
) -> None:
    org = subscribed_org(engine, make_org, f"http://127.0.0.1:{free_port()}/hook")
    alert = add_alert(engine, org)
    with pytest.raises(WebhookDeliveryError, match="could not be reached"):
        deliver(engine, http, alert)
    assert reload(engine, alert).attempts == 1


@pytest.mark.parametrize(
    ("plan", "with_url"), [("free", True), ("starter", True), ("growth", False)]
)
def test_nothing_is_sent_without_a_webhook_or_the_plan_feature(
    engine: Engine,
    make_org: Callable[..., Organization],
    webhook_receiver: WebhookReceiver,
    http: httpx.Client,
    plan: str,
    with_url: bool,
) -> None:
    org = subscribed_org(engine, make_org, webhook_receiver.url if with_url else None, plan)
    alert = add_alert(engine, org)
    assert deliver(engine, http, alert) is Outcome.NOT_SUBSCRIBED
    assert webhook_receiver.received == []
    assert reload(engine, alert).attempts == 0


def test_the_sweep_finds_alerts_never_attempted(
    engine: Engine, make_org: Callable[..., Organization], webhook_receiver: WebhookReceiver
) -> None:
    org = subscribed_org(engine, make_org, webhook_receiver.url)
    silent = subscribed_org(engine, make_org, None)
    lost = add_alert(engine, org, threshold=50, created_at=NOW - timedelta(minutes=10))
    add_alert(engine, org, threshold=80, created_at=NOW - timedelta(minutes=10), attempts=2)
    add_alert(engine, org, threshold=100, created_at=NOW)  # just raised: its job is on its way
    add_alert(engine, silent, created_at=NOW - timedelta(minutes=10))

    found = undelivered_alerts(
        engine, created_after=NOW - timedelta(days=1), created_before=NOW - timedelta(minutes=5)
    )

    assert found == [(lost.id, org.id)]
