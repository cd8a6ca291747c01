"""What an organization's plan should be, given what Stripe says now (pure policy).

Webhooks can arrive late, twice or out of order, so they are never applied as
deltas: each one triggers a read of the subscription's *current* state from Stripe,
and `next_billing` maps that state onto the organization:

    subscription status        plan                              plan_status
    active, trialing           the subscription's plan           active (past due cleared)
      ... with an unpaid invoice the subscription's plan         past_due
    past_due, unpaid           its plan during the grace period, past_due (since the
                               then Free limits                  first failure)
    paused                     Free limits (subscription kept)   canceled
    canceled,                  Free                              canceled (subscription
      incomplete_expired                                         forgotten)
    incomplete                 unchanged (first payment pending)

A subscription other than the organization's current one only takes over while it
is live; a stale one ending (an old subscription's late `deleted`) changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from gateway.billing.catalog import plan_of_price
from gateway.billing.plans import PlanName
from gateway.db.enums import PlanStatus

GRACE_PERIOD = timedelta(days=7)
"""How long a past-due organization keeps its paid limits before falling to Free's."""

LIVE = frozenset({"active", "trialing", "past_due", "unpaid"})
PAST_DUE = frozenset({"past_due", "unpaid"})
ENDED = frozenset({"canceled", "incomplete_expired"})


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """A Stripe subscription as RouterAI reads it; `plan` is None for a price it did not sell."""

    id: str
    customer: str
    status: str
    plan: PlanName | None
    org_ref: str | None = None

    @classmethod
    def from_stripe(cls, data: Mapping[str, Any]) -> SubscriptionState:
        """Parse a subscription object (as a plain dict) returned by the Stripe API."""
        plan = None
        for item in (data.get("items") or {}).get("data") or []:
            price = item.get("price") or {}
            plan = plan or plan_of_price(price.get("lookup_key"), dict(price.get("metadata") or {}))
        customer = data.get("customer")
        if isinstance(customer, Mapping):  # an expanded customer
            customer = customer.get("id")
        metadata = data.get("metadata") or {}
        return cls(
            id=str(data["id"]),
            customer=str(customer),
            status=str(data.get("status")),
            plan=plan,
            org_ref=metadata.get("org_id") or None,
        )


@dataclass(frozen=True, slots=True)
class BillingState:
    """The billing columns of an organization."""

    plan: PlanName
    plan_status: PlanStatus
    past_due_since: datetime | None
    customer_id: str | None
    subscription_id: str | None


def next_billing(
    current: BillingState,
    subscription: SubscriptionState,
    now: datetime,
    *,
    unpaid_invoice: bool = False,
    grace: timedelta = GRACE_PERIOD,
) -> BillingState:
    """The organization's billing after reading `subscription` (and an open invoice) at `now`."""
    status = subscription.status
    is_current = current.subscription_id in (None, subscription.id)
    if not is_current and status not in LIVE:
        return current
    state = replace(current, customer_id=current.customer_id or subscription.customer)
    if status in ENDED:
        return replace(
            state,
            plan=PlanName.FREE,
            plan_status=PlanStatus.CANCELED,
            past_due_since=None,
            subscription_id=None,
        )
    if status not in LIVE and status != "paused":  # incomplete: the first payment is pending
        return state if current.subscription_id else replace(state, subscription_id=subscription.id)
    state = replace(state, subscription_id=subscription.id)
    if status == "paused":
        return replace(state, plan=PlanName.FREE, plan_status=PlanStatus.CANCELED)
    plan = subscription.plan or current.plan
    if status in PAST_DUE or unpaid_invoice:
        since = current.past_due_since or now
        limits = PlanName.FREE if now - since >= grace else plan
        return replace(state, plan=limits, plan_status=PlanStatus.PAST_DUE, past_due_since=since)
    return replace(state, plan=plan, plan_status=PlanStatus.ACTIVE, past_due_since=None)


def after_grace(
    current: BillingState, now: datetime, *, grace: timedelta = GRACE_PERIOD
) -> BillingState:
    """Free limits for an organization past due longer than the grace period; else unchanged.

    The subscription is kept: once its invoice is paid, `next_billing` restores its plan.
    """
    since = current.past_due_since
    if current.plan_status is not PlanStatus.PAST_DUE or since is None or now - since < grace:
        return current
    return replace(current, plan=PlanName.FREE)
