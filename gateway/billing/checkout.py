"""Self-service billing: Checkout upgrades, the Customer Portal, and in-app plan changes.

Each operation makes its Stripe calls first and changes RouterAI only once Stripe
agreed, so a declined card, a rate limit or an outage leaves the plan as it was
and reaches the user as a `BillingError` message (see `gateway.billing.errors`).
Upgrades themselves land through the webhook (`checkout.session.completed`), which
reads the subscription Stripe created.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy import Engine, update
from sqlmodel import col
from stripe.params import SubscriptionUpdateParamsItem
from stripe.params.checkout import SessionCreateParams

from gateway.billing.accounts import billing_state, key_hashes, lock_org, set_billing_state
from gateway.billing.catalog import (
    PriceKind,
    is_self_serve,
    kind_of_price,
    subscription_lookup_keys,
)
from gateway.billing.errors import (
    CONTACT_SALES,
    BillingError,
    NoBillingAccount,
    PlanNotPurchasable,
    stripe_errors,
)
from gateway.billing.plans import PlanName, get_plan
from gateway.billing.subscriptions import LIVE, SubscriptionState, next_billing
from gateway.db.models import Organization, utcnow
from gateway.db.sessions import tenant_session

BILLING_PAGE = "/dashboard/billing"


@dataclass(frozen=True, slots=True)
class BillingUrls:
    """Where Stripe sends the user back to: the dashboard's billing page."""

    success: str
    cancel: str
    portal_return: str

    @classmethod
    def for_site(cls, public_url: str) -> BillingUrls:
        page = public_url.rstrip("/") + BILLING_PAGE
        return cls(
            success=page + "?checkout=success&session_id={CHECKOUT_SESSION_ID}",
            cancel=page + "?checkout=canceled",
            portal_return=page,
        )


@dataclass(frozen=True, slots=True)
class PlanChange:
    """The outcome of an in-app plan change: the plan now in force and keys to forget."""

    plan: PlanName
    key_hashes: list[str]


def ensure_customer(engine: Engine, client: stripe.StripeClient, org_id: uuid.UUID) -> str:
    """The organization's Stripe customer id, creating the customer on first need.

    The idempotency key makes concurrent first clicks create one customer, and the
    conditional update keeps the first id stored if two requests still race.
    """
    org = _org(engine, org_id)
    if org.stripe_customer_id:
        return org.stripe_customer_id
    with stripe_errors():
        customer = client.v1.customers.create(
            {"name": org.name, "metadata": {"org_id": str(org.id), "org_slug": org.slug}},
            {"idempotency_key": f"routerai-customer-{org.id}"},
        )
    with tenant_session(engine, org_id) as session:
        session.execute(
            update(Organization)
            .where(col(Organization.id) == org.id, col(Organization.stripe_customer_id).is_(None))
            .values(stripe_customer_id=customer.id)
        )
    return _org(engine, org_id).stripe_customer_id or customer.id


def start_checkout(
    engine: Engine,
    client: stripe.StripeClient,
    *,
    org_id: uuid.UUID,
    plan: PlanName | str,
    urls: BillingUrls,
) -> str:
    """A Checkout Session (subscription mode) for `plan`; returns the URL to send the user to."""
    target = _purchasable(plan)
    org = _org(engine, org_id)
    if org.stripe_subscription_id:  # live, past due or paused: never a second subscription
        raise BillingError(
            "Your organization already has a subscription: change its plan from the billing "
            "page, or settle or resume it in the billing portal."
        )
    customer = ensure_customer(engine, client, org_id)
    with stripe_errors():
        prices = price_ids(client, subscription_lookup_keys(target))
        metadata = {"org_id": str(org.id), "plan": target.value}
        params: SessionCreateParams = {
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": str(org.id),
            "line_items": [_line_item(key, price) for key, price in prices.items()],
            "success_url": urls.success,
            "cancel_url": urls.cancel,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        }
        session = client.v1.checkout.sessions.create(params)
    if not session.url:
        raise BillingError("Stripe did not return a checkout page; please try again.")
    return session.url


def portal_url(
    engine: Engine, client: stripe.StripeClient, *, org_id: uuid.UUID, urls: BillingUrls
) -> str:
    """A Customer Portal session for payment methods, invoices, plan changes and cancelling."""
    org = _org(engine, org_id)
    if not org.stripe_customer_id:
        raise NoBillingAccount(
            "Your organization has no billing account yet: upgrade to a paid plan first."
        )
    with stripe_errors():
        session = client.v1.billing_portal.sessions.create(
            {"customer": org.stripe_customer_id, "return_url": urls.portal_return}
        )
    return session.url


def change_plan(
    engine: Engine, client: stripe.StripeClient, *, org_id: uuid.UUID, plan: PlanName | str
) -> PlanChange:
    """Move a paying organization to another paid plan now, charging the prorated difference.

    Stripe swaps the subscription's prices in one update that fails as a whole when
    the payment does (`error_if_incomplete`): a declined card changes nothing. The
    new plan is applied from the subscription Stripe returns; the webhook that
    follows finds it already applied.
    """
    target = _purchasable(plan)
    org = _org(engine, org_id)
    if not org.stripe_subscription_id:
        raise NoBillingAccount(
            "Your organization has no subscription yet: upgrade through checkout."
        )
    with stripe_errors():
        current = client.v1.subscriptions.retrieve(org.stripe_subscription_id).to_dict()
        if current.get("status") not in LIVE:
            raise BillingError(
                "Your subscription is not active; start a new one from the billing page."
            )
        prices = price_ids(client, subscription_lookup_keys(target))
        updated = client.v1.subscriptions.update(
            current["id"],
            {
                "items": swap_items(current, prices),
                "proration_behavior": "always_invoice",
                "payment_behavior": "error_if_incomplete",
                "metadata": {"org_id": str(org.id), "plan": target.value},
            },
        ).to_dict()
    return apply_subscription(engine, org_id, SubscriptionState.from_stripe(updated), utcnow())


def apply_subscription(
    engine: Engine, org_id: uuid.UUID, subscription: SubscriptionState, now: datetime
) -> PlanChange:
    """Apply a subscription's current state to the organization, in one transaction."""
    with tenant_session(engine, org_id) as session:
        org = lock_org(session, org_id)
        if org is None:
            raise LookupError(f"no organization {org_id}")
        changed = set_billing_state(org, next_billing(billing_state(org), subscription, now))
        session.add(org)
        session.flush()
        hashes = key_hashes(session, org_id) if changed else []
        return PlanChange(org.plan, hashes)


def price_ids(client: stripe.StripeClient, lookup_keys: tuple[str, ...]) -> dict[str, str]:
    """The active price id of each lookup key, in order; BillingError if any is missing."""
    page = client.v1.prices.list({"lookup_keys": list(lookup_keys), "active": True, "limit": 100})
    found = {price.lookup_key: price.id for price in page.data if price.lookup_key}
    missing = [key for key in lookup_keys if key not in found]
    if missing:
        raise BillingError(
            "Billing is not set up on this deployment yet (missing prices: "
            f"{', '.join(missing)}; an operator must run `routerai stripe sync`)."
        )
    return {key: found[key] for key in lookup_keys}


def swap_items(
    subscription: Mapping[str, Any], prices: Mapping[str, str]
) -> list[SubscriptionUpdateParamsItem]:
    """Subscription item updates that replace RouterAI's prices with `prices` (by lookup key)."""
    wanted = {_kind_of_key(key): price for key, price in prices.items()}
    items: list[SubscriptionUpdateParamsItem] = []
    for item in (subscription.get("items") or {}).get("data") or []:
        price = item.get("price") or {}
        kind = kind_of_price(price.get("lookup_key"), dict(price.get("metadata") or {}))
        if kind is None:
            continue  # not ours (an add-on sold by hand): leave it alone
        new_price = wanted.pop(kind, None)
        if new_price is None:
            items.append({"id": item["id"], "deleted": True})
        elif new_price != price.get("id"):
            items.append({"id": item["id"], "price": new_price})
    items += [{"price": price} for price in wanted.values()]
    return items


def _kind_of_key(lookup_key: str) -> PriceKind:
    kind = kind_of_price(lookup_key, {})
    assert kind is not None, lookup_key
    return kind


def _line_item(lookup_key: str, price_id: str) -> Any:
    """A Checkout line item: the flat fee once; metered prices take no quantity."""
    if _kind_of_key(lookup_key) is PriceKind.FLAT:
        return {"price": price_id, "quantity": 1}
    return {"price": price_id}


def _purchasable(plan: PlanName | str) -> PlanName:
    try:
        info = get_plan(plan)
    except ValueError as exc:
        raise PlanNotPurchasable(str(exc)) from None
    if info.sold_by_contact:
        raise PlanNotPurchasable(CONTACT_SALES)
    if not is_self_serve(info):
        raise PlanNotPurchasable(
            f"{info.title} needs no checkout: cancel the subscription in the billing portal "
            "to return to it at the end of the period."
        )
    return info.name


def _org(engine: Engine, org_id: uuid.UUID) -> Organization:
    with tenant_session(engine, org_id) as session:
        org = session.get(Organization, org_id)
    if org is None:
        raise LookupError(f"no organization {org_id}")
    return org
