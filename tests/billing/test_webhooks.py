"""Signed Stripe webhooks change plans once, in any order, and the gateway's limits follow."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis
import stripe
from sqlalchemy import Engine, func
from sqlmodel import select

from gateway.billing.accounts import enforce_grace_periods, forget_tenants
from gateway.billing.checkout import BillingUrls, start_checkout
from gateway.billing.endpoint import MAX_EVENT_BYTES
from gateway.billing.plans import PlanName
from gateway.billing.subscriptions import GRACE_PERIOD
from gateway.db.enums import PlanStatus
from gateway.db.models import Organization, StripeEvent, utcnow
from gateway.db.orgs import get_org
from gateway.db.sessions import system_session
from gateway.tenancy.keys import hash_api_key
from gateway.tenancy.loader import DatabaseTenantLoader
from gateway.tenancy.resolver import TenantResolver, tenant_cache_key
from tests.billing.fake_stripe import FakeStripe
from tests.gateway.conftest import Tenant

URLS = BillingUrls.for_site("https://app.routerai.test")
Event = dict[str, Any]


def reload(engine: Engine, org: Organization) -> Organization:
    with system_session(engine) as session:
        found = get_org(session, org_id=org.id)
    assert found is not None
    return found


def stored_events(engine: Engine) -> int:
    with system_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(StripeEvent)).one())


def checkout_events(
    engine: Engine, sdk: stripe.StripeClient, fake: FakeStripe, org: Organization, plan: str
) -> list[Event]:
    """The customer pays on Checkout; returns [subscription.created, checkout.session.completed]."""
    url = start_checkout(engine, sdk, org_id=org.id, plan=plan, urls=URLS)
    return fake.complete_checkout(fake.session_for(url)["id"], deliver=False)


def subscribed(
    engine: Engine, sdk: stripe.StripeClient, fake: FakeStripe, org: Organization, plan: str
) -> str:
    """A subscription whose checkout webhook was delivered; returns its id."""
    events = checkout_events(engine, sdk, fake, org, plan)
    assert fake.deliver(events[1]).json()["status"] == "processed"
    return str(events[0]["data"]["object"]["id"])


def subscription_get_count(fake: FakeStripe) -> int:
    return len([r for r in fake.controls.requests if r.path.startswith("/v1/subscriptions/")])


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant(name="Acme", plan="free")


def test_checkout_completed_upgrades_the_plan_and_the_tenant_context(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
    redis_client: redis.Redis,
) -> None:
    loader = DatabaseTenantLoader(engine)
    assert loader.load(tenant.key).requests_per_minute == 20  # type: ignore[union-attr]
    cache_entry = tenant_cache_key(hash_api_key(tenant.key))
    redis_client.set(cache_entry, b"a cached Free context")
    _, completed = checkout_events(engine, synced_stripe, fake_stripe, tenant.org, "growth")

    response = fake_stripe.deliver(completed)

    assert response.status_code == 200 and response.json()["status"] == "processed"
    org = reload(engine, tenant.org)
    session = completed["data"]["object"]
    assert (org.plan, org.plan_status) == (PlanName.GROWTH, PlanStatus.ACTIVE)
    assert org.stripe_customer_id == session["customer"]
    assert org.stripe_subscription_id == session["subscription"]
    assert redis_client.get(cache_entry) is None  # every gateway process reloads it
    context = loader.load(tenant.key)
    assert context is not None and context.plan == "growth"
    assert (context.requests_per_minute, context.token_budget) == (600, None)


def test_a_portal_plan_switch_changes_the_plan(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    subscription_id = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    prices = fake_stripe.prices_by_key()
    swap = {
        prices[f"routerai_growth_{kind}"]["id"]: prices[f"routerai_scale_{kind}"]["id"]
        for kind in ("monthly", "tokens")
    }

    fake_stripe.switch_prices(subscription_id, swap)

    assert reload(engine, tenant.org).plan is PlanName.SCALE


def test_a_deleted_subscription_returns_the_organization_to_free(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    subscription_id = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "starter")

    fake_stripe.cancel(subscription_id)

    org = reload(engine, tenant.org)
    assert (org.plan, org.plan_status) == (PlanName.FREE, PlanStatus.CANCELED)
    assert org.stripe_subscription_id is None and org.stripe_customer_id is not None
    assert DatabaseTenantLoader(engine).load(tenant.key).token_budget == 100_000  # type: ignore[union-attr]


def test_a_failed_payment_is_past_due_then_free_limits_until_the_invoice_is_paid(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
    redis_client: redis.Redis,
) -> None:
    subscription_id = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "growth")

    failed, _ = fake_stripe.fail_payment(subscription_id)

    org = reload(engine, tenant.org)
    assert (org.plan, org.plan_status) == (PlanName.GROWTH, PlanStatus.PAST_DUE)
    assert org.past_due_since is not None
    assert enforce_grace_periods(engine, utcnow()) == []  # within the grace period
    later = org.past_due_since + GRACE_PERIOD + timedelta(minutes=1)
    hashes = enforce_grace_periods(engine, later)
    forget_tenants(redis_client, hashes)
    assert hashes == [hash_api_key(tenant.key)]
    assert reload(engine, tenant.org).plan is PlanName.FREE
    assert DatabaseTenantLoader(engine).load(tenant.key).requests_per_minute == 20  # type: ignore[union-attr]

    fake_stripe.pay(failed["data"]["object"]["id"])

    org = reload(engine, tenant.org)
    assert (org.plan, org.plan_status, org.past_due_since) == (
        PlanName.GROWTH,
        PlanStatus.ACTIVE,
        None,
    )


def test_the_invoice_names_its_subscription_under_parent_subscription_details(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    subscription_id = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    failed, _ = fake_stripe.fail_payment(subscription_id, deliver=False)
    invoice = failed["data"]["object"]
    assert "subscription" not in invoice  # the field moved in API version basil

    assert fake_stripe.deliver(failed).json()["status"] == "processed"

    assert reload(engine, tenant.org).plan_status is PlanStatus.PAST_DUE


# -- forgeries --------------------------------------------------------------------------------


def forged_requests(fake: FakeStripe, event: Event) -> dict[str, tuple[bytes, dict[str, str]]]:
    payload, header = fake.signed(event)
    tampered = payload.replace(b'"livemode": false', b'"livemode": true')
    _, wrong_secret = fake.signed(event, secret="whsec_someone_else")
    _, stale = fake.signed(event, timestamp=int(time.time()) - 600)
    json_type = {"content-type": "application/json"}
    return {
        "tampered body": (tampered, {**json_type, "stripe-signature": header}),
        "wrong secret": (payload, {**json_type, "stripe-signature": wrong_secret}),
        "stale timestamp": (payload, {**json_type, "stripe-signature": stale}),
        "missing header": (payload, json_type),
        "garbage header": (payload, {**json_type, "stripe-signature": "v1=abc"}),
    }


def test_forged_events_are_refused_and_change_nothing(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    _, completed = checkout_events(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    reads = subscription_get_count(fake_stripe)

    for case, (body, headers) in forged_requests(fake_stripe, completed).items():
        response = httpx.post(webhook_url, content=body, headers=headers)
        assert response.status_code == 400, case
        assert "signature" in response.json()["error"]["message"], case

    assert reload(engine, tenant.org).plan is PlanName.FREE
    assert stored_events(engine) == 0
    assert subscription_get_count(fake_stripe) == reads  # not even read
    assert fake_stripe.deliver(completed).status_code == 200  # the genuine one still works


def status_of(sock: socket.socket) -> int:
    """The status of the answer on `sock`, read as soon as it arrives."""
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return int(received.split(b" ", 2)[1]) if received else 0


def test_a_body_over_the_cap_is_refused_before_it_is_read_whole_or_checked(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    host, port = webhook_url.removeprefix("http://").split("/")[0].split(":")
    head = b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + b"Content-Length: %d\r\n\r\n" % (200 * 1024 * 1024))
        assert status_of(sock) == 413  # answered with none of the 200 MiB sent
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
        for _ in range(MAX_EVENT_BYTES // (64 * 1024) + 2):  # past the cap, and no end sent
            sock.sendall(chunk)
        assert status_of(sock) == 413

    _, completed = checkout_events(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    completed["data"]["object"]["metadata"]["padding"] = "x" * MAX_EVENT_BYTES
    payload, header = fake_stripe.signed(completed)  # genuinely signed, but too large
    response = httpx.post(
        webhook_url, content=payload, headers={"stripe-signature": header}, timeout=30
    )
    assert response.status_code == 413
    assert "1,048,576 bytes" in response.json()["error"]["message"]
    assert stored_events(engine) == 0 and reload(engine, tenant.org).plan is PlanName.FREE


# -- exactly once, in any order ---------------------------------------------------------------


def test_a_redelivered_event_is_acknowledged_and_ignored(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    subscription_id = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    (deleted,) = fake_stripe.cancel(subscription_id, deliver=False)
    assert fake_stripe.deliver(deleted).json()["status"] == "processed"
    events, reads = stored_events(engine), subscription_get_count(fake_stripe)
    with system_session(engine) as session:  # the org subscribes again by other means
        org = session.get(Organization, tenant.org.id)
        assert org is not None
        org.plan, org.stripe_subscription_id = PlanName.STARTER, "sub_new"
        session.add(org)

    again = fake_stripe.deliver(deleted)

    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert reload(engine, tenant.org).plan is PlanName.STARTER
    assert (stored_events(engine), subscription_get_count(fake_stripe)) == (events, reads)


def test_a_late_snapshot_cannot_undo_a_newer_change(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    created, completed = checkout_events(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    subscription_id = created["data"]["object"]["id"]
    prices = fake_stripe.prices_by_key()
    to_scale = {
        prices["routerai_growth_monthly"]["id"]: prices["routerai_scale_monthly"]["id"],
    }
    (switched,) = fake_stripe.switch_prices(subscription_id, to_scale, deliver=False)

    # Stripe delivers the newest event first, the checkout ones after it.
    for event in (switched, completed, created):
        assert fake_stripe.deliver(event).status_code == 200

    assert reload(engine, tenant.org).plan is PlanName.SCALE
    assert created["data"]["object"]["items"]["data"][0]["price"]["lookup_key"] == (
        "routerai_growth_monthly"  # the late events' own snapshots said Growth
    )


def test_a_payment_failure_delivered_after_the_payment_changes_nothing(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    subscription_id = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    failed, _ = fake_stripe.fail_payment(subscription_id, deliver=False)
    paid, _ = fake_stripe.pay(failed["data"]["object"]["id"], deliver=False)

    fake_stripe.deliver(paid)
    fake_stripe.deliver(failed)

    org = reload(engine, tenant.org)
    assert (org.plan, org.plan_status, org.past_due_since) == (
        PlanName.GROWTH,
        PlanStatus.ACTIVE,
        None,
    )


def test_the_end_of_an_old_subscription_does_not_cancel_the_new_one(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    old = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "starter")
    (old_deleted,) = fake_stripe.cancel(old, deliver=False)
    with system_session(engine) as session:  # the old one ended; they subscribed anew
        org = session.get(Organization, tenant.org.id)
        assert org is not None
        org.plan, org.stripe_subscription_id = PlanName.FREE, None
        session.add(org)
    new = subscribed(engine, synced_stripe, fake_stripe, tenant.org, "scale")

    fake_stripe.deliver(old_deleted)

    org = reload(engine, tenant.org)
    assert (org.plan, org.stripe_subscription_id) == (PlanName.SCALE, new)


# -- failure, other events, configuration -----------------------------------------------------


def test_stripe_down_while_applying_answers_500_and_the_redelivery_applies_it(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
) -> None:
    _, completed = checkout_events(engine, synced_stripe, fake_stripe, tenant.org, "growth")
    fake_stripe.fail("GET", "/v1/subscriptions/", "server_error", times=10)

    assert fake_stripe.deliver(completed).status_code == 500
    assert reload(engine, tenant.org).plan is PlanName.FREE
    assert stored_events(engine) == 0

    fake_stripe.controls.faults.clear()
    assert fake_stripe.deliver(completed).json()["status"] == "processed"
    assert reload(engine, tenant.org).plan is PlanName.GROWTH


def test_other_events_are_acknowledged(
    engine: Engine, fake_stripe: FakeStripe, webhook_url: str
) -> None:
    event = fake_stripe.event("customer.created", {"id": "cus_x", "object": "customer"})
    response = fake_stripe.deliver(event)
    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert stored_events(engine) == 1


async def test_every_gateway_process_applies_the_new_plan_within_its_local_cache_lifetime(
    engine: Engine,
    tenant: Tenant,
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    webhook_url: str,
    async_redis: aioredis.Redis,
) -> None:
    now = [1000.0]
    loader = DatabaseTenantLoader(engine)
    processes = [
        TenantResolver(async_redis, loader, local_ttl_s=1.0, clock=lambda: now[0]) for _ in range(2)
    ]
    authorization = f"Bearer {tenant.key}"
    for resolver in processes:
        assert (await resolver.resolve(authorization)).plan == "free"
    _, completed = await asyncio.to_thread(
        checkout_events, engine, synced_stripe, fake_stripe, tenant.org, "scale"
    )

    assert (await asyncio.to_thread(fake_stripe.deliver, completed)).status_code == 200

    now[0] += 1.0  # each process's local entry expires; Redis no longer holds one
    for resolver in processes:
        context = await resolver.resolve(authorization)
        assert (context.plan, context.requests_per_minute) == ("scale", 2400)


def test_without_a_webhook_secret_the_endpoint_refuses_with_503(
    engine: Engine, fake_stripe: FakeStripe, billing_settings: Any
) -> None:
    from tests.billing.conftest import webhook_app
    from tests.fixtures.servers import serve_in_thread

    settings = billing_settings.model_copy(update={"stripe_webhook_secret": None})
    payload, header = fake_stripe.signed(fake_stripe.event("customer.created", {"id": "cus_1"}))
    with serve_in_thread(webhook_app(settings, engine)) as url:
        response = httpx.post(
            f"{url}/webhooks/stripe", content=payload, headers={"stripe-signature": header}
        )
    assert response.status_code == 503
    assert json.loads(response.content)["error"]["message"].startswith("Stripe webhooks")
