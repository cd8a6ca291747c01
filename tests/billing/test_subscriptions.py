"""The plan an organization gets from its subscription's current state (pure policy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.billing.plans import PlanName
from gateway.billing.subscriptions import (
    GRACE_PERIOD,
    BillingState,
    SubscriptionState,
    after_grace,
    next_billing,
)
from gateway.db.enums import PlanStatus

NOW = datetime(2026, 11, 5, 12, tzinfo=UTC)
FREE = BillingState(PlanName.FREE, PlanStatus.ACTIVE, None, None, None)
GROWTH = BillingState(PlanName.GROWTH, PlanStatus.ACTIVE, None, "cus_1", "sub_1")


def sub(
    status: str, plan: PlanName | None = PlanName.GROWTH, sub_id: str = "sub_1"
) -> SubscriptionState:
    return SubscriptionState(sub_id, "cus_1", status, plan)


def org(plan: PlanName, status: PlanStatus, subscription: str | None) -> BillingState:
    return BillingState(plan, status, None, "cus_1", subscription)


FREE_AGAIN = org(PlanName.FREE, PlanStatus.CANCELED, None)


@pytest.mark.parametrize(
    ("current", "subscription", "expected"),
    [
        # Checkout completed: the paid plan, with the Stripe ids.
        (FREE, sub("active"), GROWTH),
        (FREE, sub("trialing"), GROWTH),
        # A plan switch in the portal.
        (GROWTH, sub("active", PlanName.SCALE), org(PlanName.SCALE, PlanStatus.ACTIVE, "sub_1")),
        # Cancelled: back to Free, the subscription forgotten.
        (GROWTH, sub("canceled"), FREE_AGAIN),
        (GROWTH, sub("incomplete_expired"), FREE_AGAIN),
        # Paused: Free limits, the subscription kept so resuming restores the plan.
        (GROWTH, sub("paused"), org(PlanName.FREE, PlanStatus.CANCELED, "sub_1")),
        # First payment still pending: no upgrade yet.
        (FREE, sub("incomplete"), org(PlanName.FREE, PlanStatus.ACTIVE, "sub_1")),
        # The late end of an old subscription does not touch the current one.
        (GROWTH, sub("canceled", sub_id="sub_old"), GROWTH),
        (GROWTH, sub("incomplete", sub_id="sub_new"), GROWTH),
    ],
)  # fmt: skip
def test_the_organization_follows_the_subscription(
    current: BillingState, subscription: SubscriptionState, expected: BillingState
) -> None:
    assert next_billing(current, subscription, NOW) == expected


def test_a_failed_payment_keeps_the_plan_through_the_grace_period_then_free_limits() -> None:
    failed = next_billing(GROWTH, sub("past_due"), NOW)
    assert failed == BillingState(PlanName.GROWTH, PlanStatus.PAST_DUE, NOW, "cus_1", "sub_1")
    # Later failures keep the date of the first one.
    later = NOW + GRACE_PERIOD - timedelta(seconds=1)
    assert next_billing(failed, sub("past_due"), later).past_due_since == NOW
    assert next_billing(failed, sub("past_due"), later).plan is PlanName.GROWTH
    assert next_billing(failed, sub("unpaid"), NOW + GRACE_PERIOD).plan is PlanName.FREE
    assert after_grace(failed, later) == failed
    assert after_grace(failed, NOW + GRACE_PERIOD).plan is PlanName.FREE


def test_an_unpaid_invoice_marks_an_active_subscription_past_due() -> None:
    state = next_billing(GROWTH, sub("active"), NOW, unpaid_invoice=True)
    assert (state.plan, state.plan_status, state.past_due_since) == (
        PlanName.GROWTH,
        PlanStatus.PAST_DUE,
        NOW,
    )


def test_a_paid_invoice_restores_the_plan_even_after_free_limits() -> None:
    demoted = BillingState(PlanName.FREE, PlanStatus.PAST_DUE, NOW, "cus_1", "sub_1")
    assert next_billing(demoted, sub("active"), NOW + 2 * GRACE_PERIOD) == GROWTH
    assert after_grace(GROWTH, NOW + 2 * GRACE_PERIOD) == GROWTH


def test_reading_a_subscription_from_stripe() -> None:
    data = {
        "id": "sub_9",
        "customer": {"id": "cus_9", "object": "customer"},
        "status": "active",
        "metadata": {"org_id": "0f0e"},
        "items": {
            "data": [
                {"price": {"lookup_key": "routerai_provider_cost", "metadata": {}}},
                {"price": {"lookup_key": None, "metadata": {"routerai_plan": "scale",
                                                              "routerai_price": "flat"}}},
            ]
        },
    }  # fmt: skip
    assert SubscriptionState.from_stripe(data) == SubscriptionState(
        "sub_9", "cus_9", "active", PlanName.SCALE, "0f0e"
    )
