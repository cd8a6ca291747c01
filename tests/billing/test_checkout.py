"""Checkout upgrades, Customer Portal sessions and in-app plan changes against the fake Stripe."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import stripe
from sqlalchemy import Engine

from gateway.billing.checkout import (
    BillingUrls,
    apply_subscription,
    change_plan,
    ensure_customer,
    portal_url,
    start_checkout,
)
from gateway.billing.errors import (
    BillingError,
    NoBillingAccount,
    PlanNotPurchasable,
    StripeUnavailable,
)
from gateway.billing.plans import PlanName
from gateway.billing.subscriptions import SubscriptionState
from gateway.db.enums import PlanStatus
from gateway.db.models import Organization, utcnow
from gateway.db.orgs import get_org
from gateway.db.sessions import system_session, tenant_session
from gateway.tenancy.keys import create_api_key, hash_api_key
from tests.billing.fake_stripe import FakeStripe

URLS = BillingUrls.for_site("https://app.routerai.test")


def reload(engine: Engine, org: Organization) -> Organization:
    with system_session(engine) as session:
        found = get_org(session, org_id=org.id)
    assert found is not None
    return found


def subscribe(
    engine: Engine, sdk: stripe.StripeClient, fake: FakeStripe, org: Organization, plan: str
) -> str:
    """Check out and pay, applying the subscription as its webhook would; returns its id."""
    url = start_checkout(engine, sdk, org_id=org.id, plan=plan, urls=URLS)
    events = fake.complete_checkout(fake.session_for(url)["id"], deliver=False)
    subscription = events[0]["data"]["object"]
    apply_subscription(engine, org.id, SubscriptionState.from_stripe(subscription), utcnow())
    return str(subscription["id"])


def test_checkout_carries_the_customer_prices_organization_and_urls(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
) -> None:
    org = make_org(name="Acme", plan="free")

    url = start_checkout(engine, synced_stripe, org_id=org.id, plan="growth", urls=URLS)

    session = fake_stripe.session_for(url)
    assert url == session["url"] and url.startswith(fake_stripe.url)
    customer = reload(engine, org).stripe_customer_id
    assert customer and session["customer"] == customer
    assert fake_stripe.state.customers[customer]["metadata"]["org_id"] == str(org.id)
    assert session["mode"] == "subscription"
    assert session["client_reference_id"] == str(org.id)
    assert session["success_url"] == (
        "https://app.routerai.test/dashboard/billing?checkout=success"
        "&session_id={CHECKOUT_SESSION_ID}"
    )
    assert session["cancel_url"] == "https://app.routerai.test/dashboard/billing?checkout=canceled"
    prices = fake_stripe.prices_by_key()
    assert fake_stripe.line_items(session["id"]) == [
        {"price": prices["routerai_growth_monthly"]["id"], "quantity": 1},
        {"price": prices["routerai_growth_tokens"]["id"], "quantity": None},
        {"price": prices["routerai_provider_cost"]["id"], "quantity": None},
    ]
    assert fake_stripe.state.checkout_subscription_data[session["id"]]["metadata"] == {
        "org_id": str(org.id),
        "plan": "growth",
    }


def test_the_customer_is_created_once_even_when_its_answer_was_lost(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
) -> None:
    org = make_org(name="Acme")
    fake_stripe.fail("POST", "/v1/customers", "server_error", after_processing=True)

    with pytest.raises(StripeUnavailable):
        ensure_customer(engine, synced_stripe, org.id)
    assert reload(engine, org).stripe_customer_id is None  # nothing half-stored
    first = ensure_customer(engine, synced_stripe, org.id)
    start_checkout(engine, synced_stripe, org_id=org.id, plan="starter", urls=URLS)

    assert list(fake_stripe.state.customers) == [first]
    assert reload(engine, org).stripe_customer_id == first


@pytest.mark.parametrize(
    ("plan", "error", "message"),
    [
        ("enterprise", PlanNotPurchasable, "contact sales"),
        ("free", PlanNotPurchasable, "cancel the subscription"),
        ("platinum", PlanNotPurchasable, "unknown plan"),
    ],
)
def test_plans_not_sold_through_checkout_are_refused(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    plan: str,
    error: type[Exception],
    message: str,
) -> None:
    org = make_org(name="Acme")
    with pytest.raises(error, match=message):
        start_checkout(engine, synced_stripe, org_id=org.id, plan=plan, urls=URLS)
    assert fake_stripe.state.checkout_sessions == {}


def test_checkout_before_sync_names_the_command_to_run(
    engine: Engine, make_org: Callable[..., Organization], stripe_sdk: stripe.StripeClient
) -> None:
    org = make_org(name="Acme")
    with pytest.raises(BillingError, match="routerai stripe sync"):
        start_checkout(engine, stripe_sdk, org_id=org.id, plan="growth", urls=URLS)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("rate_limit", "busy right now"),
        ("server_error", "temporarily unavailable"),
    ],
)
def test_a_stripe_outage_reaches_the_user_as_a_message_and_changes_nothing(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
    fault: str,
    message: str,
) -> None:
    org = make_org(name="Acme")
    fake_stripe.fail("POST", "/v1/checkout/sessions", fault)

    with pytest.raises(StripeUnavailable, match=message) as raised:
        start_checkout(engine, synced_stripe, org_id=org.id, plan="growth", urls=URLS)

    assert "Your plan was not changed" in raised.value.message
    assert reload(engine, org).plan is PlanName.FREE
    assert fake_stripe.state.checkout_sessions == {}


def test_the_portal_session_is_for_the_organizations_customer(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
) -> None:
    org = make_org(name="Acme")
    with pytest.raises(NoBillingAccount, match="upgrade to a paid plan first"):
        portal_url(engine, synced_stripe, org_id=org.id, urls=URLS)
    customer = ensure_customer(engine, synced_stripe, org.id)

    url = portal_url(engine, synced_stripe, org_id=org.id, urls=URLS)

    (session,) = fake_stripe.state.portal_sessions.values()
    assert url == session["url"]
    assert session["customer"] == customer
    assert session["return_url"] == "https://app.routerai.test/dashboard/billing"


def test_changing_plan_swaps_the_subscriptions_prices_and_the_limits(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
) -> None:
    org = make_org(name="Acme")
    with tenant_session(engine, org.id) as session:
        _, key = create_api_key(session, org=org, name="k", environment="prod")
    subscription_id = subscribe(engine, synced_stripe, fake_stripe, org, "growth")
    assert reload(engine, org).plan is PlanName.GROWTH

    change = change_plan(engine, synced_stripe, org_id=org.id, plan="scale")

    assert change.plan is PlanName.SCALE and change.key_hashes == [hash_api_key(key)]
    assert reload(engine, org).plan is PlanName.SCALE
    prices = fake_stripe.prices_by_key()
    items = fake_stripe.subscription(subscription_id)["items"]["data"]
    assert sorted(item["price"]["id"] for item in items) == sorted(
        prices[key]["id"]
        for key in ("routerai_scale_monthly", "routerai_scale_tokens", "routerai_provider_cost")
    )


def test_a_declined_card_leaves_the_plan_and_the_subscription_as_they_were(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
) -> None:
    org = make_org(name="Acme")
    subscription_id = subscribe(engine, synced_stripe, fake_stripe, org, "starter")
    before = fake_stripe.subscription(subscription_id)
    fake_stripe.decline_cards_of(str(reload(engine, org).stripe_customer_id))

    with pytest.raises(BillingError) as raised:
        change_plan(engine, synced_stripe, org_id=org.id, plan="growth")

    assert raised.value.message == (
        "Payment failed: Your card was declined. Your plan was not changed; update your "
        "payment method in the billing portal and try again."
    )
    after = reload(engine, org)
    assert (after.plan, after.plan_status) == (PlanName.STARTER, PlanStatus.ACTIVE)
    assert fake_stripe.subscription(subscription_id) == before


def test_a_paying_organization_changes_plan_instead_of_checking_out_again(
    engine: Engine,
    make_org: Callable[..., Organization],
    fake_stripe: FakeStripe,
    synced_stripe: stripe.StripeClient,
) -> None:
    org = make_org(name="Acme")
    subscribe(engine, synced_stripe, fake_stripe, org, "starter")
    with pytest.raises(BillingError, match="already has a subscription"):
        start_checkout(engine, synced_stripe, org_id=org.id, plan="growth", urls=URLS)
